// url: URLSearchParams get/getAll/has/append/set/delete/toString
const sp = new URLSearchParams("a=1&b=2&a=3");
console.log(sp.get("a"), sp.getAll("a").join(","), sp.has("b"), sp.get("zzz"));
sp.append("c", "x y"); sp.set("a", "9"); sp.delete("b");
console.log(sp.toString());
