// fs: fs.promises.open FileHandle write/read/stat/close
const fsp = require("node:fs/promises");
(async () => {
  const fh = await fsp.open("fh.txt", "w+");
  const { bytesWritten } = await fh.write("filehandle");
  console.log(bytesWritten);
  const buf = Buffer.alloc(4);
  const { bytesRead } = await fh.read(buf, 0, 4, 4);
  console.log(bytesRead, buf.toString());
  console.log((await fh.stat()).size);
  await fh.close();
  console.log(await fsp.readFile("fh.txt", "utf8"));
})();
