// path: path.join collapses '..' and '.' segments
const path = require("node:path");
console.log(path.join("/foo", "bar", "baz/asdf", "quux", ".."));
console.log(path.join("./x", "./y", "."));
console.log(path.join("/", "..", "etc"));
