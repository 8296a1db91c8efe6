// fs: createWriteStream with flags 'a' appends; bytesWritten is counted
const fs = require("node:fs");
fs.writeFileSync("w.txt", "1;");
const ws = fs.createWriteStream("w.txt", { flags: "a" });
ws.write("2;");
ws.end("3;", () => console.log(ws.bytesWritten, fs.readFileSync("w.txt", "utf8")));
