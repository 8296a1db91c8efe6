// timers: inside an fs callback, setImmediate runs before setTimeout 0
const fs = require("node:fs");
fs.writeFile("x.txt", "x", () => {
  setTimeout(() => console.log("timeout"), 0);
  setImmediate(() => console.log("immediate"));
});
