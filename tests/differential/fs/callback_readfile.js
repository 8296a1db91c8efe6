// fs: callback-style writeFile/readFile deliver (null, data)
const fs = require("node:fs");
fs.writeFile("cb.txt", "callback data", (err) => {
  console.log("written", err);
  fs.readFile("cb.txt", "utf8", (err2, data) => {
    console.log(err2, data);
  });
});
console.log("sync part done");
