// child_process: async execFile delivers stdout to a callback
const { execFile } = require("node:child_process");
execFile("/bin/echo", ["async"], (err, stdout, stderr) => {
  console.log(err, JSON.stringify(stdout), JSON.stringify(stderr));
});
