// url: setting URL properties updates href
const u = new URL("http://example.com/path");
u.pathname = "/new path";
u.search = "?a=1";
u.hash = "top";
u.port = "8081";
u.protocol = "https";
console.log(u.href);
