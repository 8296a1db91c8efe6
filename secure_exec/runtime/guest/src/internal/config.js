// Host configuration (argv, platform, versions, os facts) is fetched lazily on first use: the
// bundle is evaluated once at snapshot time, when no run-specific config exists yet.
"use strict";

const host = require("./host.js");

let cached = null;

function config() {
  if (cached === null) cached = host.call("process.config", {}) || {};
  return cached;
}

module.exports = { config };
