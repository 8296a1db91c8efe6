// fs: fs.promises writeFile/readFile/appendFile
const fsp = require("node:fs/promises");
(async () => {
  await fsp.writeFile("p.txt", "promised");
  await fsp.appendFile("p.txt", "!");
  console.log(await fsp.readFile("p.txt", "utf8"));
  console.log(require("node:fs").promises === fsp);
})();
