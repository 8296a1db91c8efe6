// process: process.exit(code) is seen by 'exit' listeners
process.on("exit", (c) => console.log("exiting with", c));
process.exit(9);
