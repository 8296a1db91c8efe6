// os: os: deterministic bits only (EOL, platform, constants, types)
const os = require("node:os");
console.log(JSON.stringify(os.EOL), os.platform(), os.type(), os.endianness());
console.log(os.constants.signals.SIGINT, os.constants.signals.SIGKILL, os.constants.errno.ENOENT);
console.log(typeof os.tmpdir(), typeof os.homedir(), typeof os.hostname(), Array.isArray(os.cpus()));
console.log(os.devNull, typeof os.totalmem(), typeof os.availableParallelism);
