// fs: fs.promises rejects with ENOENT carrying code/syscall/path
const fsp = require("node:fs").promises;
fsp.readFile("absent.txt").then(
  () => console.log("unexpected"),
  (e) => console.log("rejected", e.code, e.syscall, e.path, e instanceof Error),
);
