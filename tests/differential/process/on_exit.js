// process: 'exit' listeners run with the exit code and can log synchronously
process.on("exit", (code) => console.log("exit handler", code, process.exitCode));
process.exitCode = 2;
console.log("main done");
