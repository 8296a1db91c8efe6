// url: URLSearchParams encoding of special characters
const sp = new URLSearchParams();
sp.append("q", "a&b=c d+é/?");
console.log(sp.toString());
console.log(new URLSearchParams("q=a%26b%3Dc+d%2B").get("q"));
console.log(new URLSearchParams([["x", "1"], ["x", "2"]]).toString());
