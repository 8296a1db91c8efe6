// fs: fs.promises rm recursive then access rejects
const fsp = require("node:fs/promises");
(async () => {
  await fsp.mkdir("tree/x", { recursive: true });
  await fsp.writeFile("tree/x/y", "z");
  await fsp.rm("tree", { recursive: true, force: true });
  try { await fsp.access("tree"); } catch (e) { console.log(e.code); }
  console.log(typeof fsp.copyFile, typeof fsp.cp);
})();
