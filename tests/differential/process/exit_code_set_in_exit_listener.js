// process: setting process.exitCode inside an exit listener changes the final exit code
process.on("exit", (c) => { console.log("exit", c); process.exitCode = 99; });
console.log(process.listenerCount("exit"), typeof process.emit);
process.exitCode = 3;
