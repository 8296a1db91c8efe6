// os: os values agree with process and have the documented types
const os = require("node:os");
console.log(os.platform() === process.platform, os.arch() === process.arch, os.EOL === "\n");
console.log(typeof os.release(), typeof os.uptime(), Array.isArray(os.loadavg()), os.loadavg().length);
console.log(typeof os.userInfo().username, typeof os.networkInterfaces());
