// fs: fs.promises readdir recursive, writeFile with flag wx
const fsp = require("node:fs/promises");
(async () => {
  await fsp.mkdir("t/u", { recursive: true });
  await fsp.writeFile("t/u/v.txt", "v");
  console.log((await fsp.readdir("t", { recursive: true })).sort().join(","));
  try { await fsp.writeFile("t/u/v.txt", "again", { flag: "wx" }); } catch (e) { console.log(e.code, e.syscall); }
})();
