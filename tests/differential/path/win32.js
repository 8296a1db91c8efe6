// path: path.win32 helpers behave like on Windows regardless of host
const path = require("node:path");
console.log(path.win32.join("C:\\a", "b", "..", "c"));
console.log(path.win32.basename("C:\\temp\\myfile.html"));
console.log(path.win32.isAbsolute("C:\\x"), path.win32.sep);
