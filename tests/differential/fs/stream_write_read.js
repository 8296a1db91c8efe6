// fs: createWriteStream then createReadStream round-trip
const fs = require("node:fs");
const ws = fs.createWriteStream("s.txt");
ws.write("alpha ");
ws.write("beta ");
ws.end("gamma");
ws.on("finish", () => {
  console.log("finish");
  const chunks = [];
  fs.createReadStream("s.txt", { encoding: "utf8" })
    .on("data", (c) => chunks.push(c))
    .on("end", () => console.log("read:", chunks.join("")))
    .on("close", () => console.log("closed"));
});
