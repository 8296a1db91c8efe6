// child_process: exec runs a shell command line and reports failures via err.code
const { exec } = require("node:child_process");
exec("echo one && echo two", (err, stdout) => {
  console.log(err, JSON.stringify(stdout));
  exec("exit 2", (err2) => console.log(err2 instanceof Error, err2.code));
});
