// url: URLSearchParams.size and legacy url.resolve
const url = require("node:url");
console.log(new URLSearchParams("a=1&b=2&a=3").size);
console.log(url.resolve("http://example.com/one/two", "../three"), url.resolve("/a/b", "c"));
console.log(url.domainToASCII("español.com"));
