// child_process: spawnSync with shell:true and an argument containing spaces
const { spawnSync } = require("node:child_process");
const r = spawnSync("echo", ["with  spaces"], { shell: true, encoding: "utf8" });
console.log(r.status, JSON.stringify(r.stdout));
const r2 = spawnSync("/bin/echo", ["with  spaces"], { encoding: "utf8" });
console.log(JSON.stringify(r2.stdout));
