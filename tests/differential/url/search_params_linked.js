// url: URL.searchParams is live and linked to url.search
const u = new URL("https://e.com/?a=1");
u.searchParams.append("b", "2");
console.log(u.search, u.href);
u.search = "c=3";
console.log(u.searchParams.get("c"), u.searchParams.has("a"));
