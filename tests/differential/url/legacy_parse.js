// url: legacy url.parse and url.format
const url = require("node:url");
const p = url.parse("http://user@host.com:8080/p/a?x=1&y=2#h", true);
console.log(p.protocol, p.auth, p.hostname, p.port, p.pathname, p.hash, JSON.stringify(p.query));
console.log(url.format({ protocol: "https", hostname: "ex.com", pathname: "/x", query: { a: 1 } }));
