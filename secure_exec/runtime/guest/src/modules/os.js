// os: every value comes from host config (op process.config, field `os`), never from the real host.
"use strict";

const { config } = require("../internal/config.js");

const os = () => config().os || {};

module.exports = {
  EOL: "\n",
  devNull: "/dev/null",
  hostname: () => os().hostname || "sandbox",
  type: () => os().type || "Linux",
  platform: () => config().platform || "linux",
  arch: () => config().arch || "x64",
  release: () => os().release || "6.0.0",
  version: () => os().version || "#1 SMP",
  machine: () => os().machine || "x86_64",
  homedir: () => os().homedir || "/root",
  tmpdir: () => os().tmpdir || "/tmp",
  endianness: () => "LE",
  uptime: () => os().uptime || 0,
  loadavg: () => [0, 0, 0],
  totalmem: () => os().totalmem || 1073741824,
  freemem: () => os().freemem || 536870912,
  availableParallelism: () => os().cpus || 1,
  cpus: () => Array.from({ length: os().cpus || 1 }, () => ({ model: "sandbox", speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } })),
  networkInterfaces: () => ({}),
  userInfo: () => ({ uid: config().uid || 0, gid: config().gid || 0, username: os().username || "sandbox", homedir: os().homedir || "/root", shell: null }),
  constants: {
    signals: {
      SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
      SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGCHLD: 17,
      SIGSTKFLT: 16, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24,
      SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
    },
    // Linux errno numbers (positive, as in Node's os.constants.errno).
    errno: Object.fromEntries(Object.entries(require("../internal/errors.js").ERRNO).filter(([, v]) => v > -200).map(([k, v]) => [k, -v])),
    priority: { PRIORITY_LOW: 19, PRIORITY_BELOW_NORMAL: 10, PRIORITY_NORMAL: 0, PRIORITY_ABOVE_NORMAL: -7, PRIORITY_HIGH: -14, PRIORITY_HIGHEST: -20 },
    dlopen: {},
    UV_UDP_REUSEADDR: 4,
  },
  getPriority: () => 0,
  setPriority: () => {},
};
