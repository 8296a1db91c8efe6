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
  constants: { signals: { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }, errno: {}, priority: {} },
  getPriority: () => 0,
  setPriority: () => {},
};
