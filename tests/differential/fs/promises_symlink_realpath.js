// fs: fs.promises symlink/readlink/lstat/truncate
const fsp = require("node:fs/promises");
(async () => {
  await fsp.writeFile("t.txt", "abcdef");
  await fsp.symlink("t.txt", "l.txt");
  console.log(await fsp.readlink("l.txt"));
  console.log((await fsp.lstat("l.txt")).isSymbolicLink());
  await fsp.truncate("l.txt", 2);
  console.log(await fsp.readFile("t.txt", "utf8"));
})();
