// console: console.info/debug go to stdout, console.error/warn/trace to stderr
console.info("info line");
console.debug("debug line");
console.error("error line (stderr)");
console.warn("warn line (stderr)");
console.log("log line");
