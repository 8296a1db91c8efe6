// os: os.constants: signal, errno and priority numbers on Linux
const { constants } = require("node:os");
console.log(constants.signals.SIGTERM, constants.signals.SIGHUP, constants.signals.SIGUSR1);
console.log(constants.errno.EACCES, constants.errno.EEXIST, constants.errno.ENOTDIR);
console.log(constants.priority.PRIORITY_LOW, constants.priority.PRIORITY_HIGHEST);
