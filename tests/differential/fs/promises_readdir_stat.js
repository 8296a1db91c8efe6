// fs: fs.promises mkdir/readdir withFileTypes/stat
const fsp = require("node:fs/promises");
(async () => {
  await fsp.mkdir("pd/inner", { recursive: true });
  await fsp.writeFile("pd/file", "1234");
  const ents = await fsp.readdir("pd", { withFileTypes: true });
  for (const e of ents.sort((a, b) => a.name.localeCompare(b.name))) console.log(e.name, e.isDirectory());
  const st = await fsp.stat("pd/file");
  console.log(st.size, st.isFile());
})();
