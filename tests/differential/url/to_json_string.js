// url: URL toString/toJSON/JSON.stringify
const u = new URL("https://example.com/a?b=c");
console.log(String(u), u.toJSON(), JSON.stringify({ u }));
console.log(require("node:url").URL === URL);
