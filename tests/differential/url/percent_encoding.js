// url: URL percent-encodes spaces and non-ASCII in path and query
const u = new URL("http://example.com/ä b?q=ü x&y=a+b");
console.log(u.pathname, u.search);
console.log(u.searchParams.get("q"), u.searchParams.get("y"));
