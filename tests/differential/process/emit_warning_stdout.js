// process: process.emitWarning goes to stderr and to 'warning' listeners
process.on("warning", (w) => console.log("warning event", w.name, w.message));
process.emitWarning("careful", "CustomWarning");
console.log("sync after warning");
