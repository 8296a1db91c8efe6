// process: process.exitCode sets the code used at natural exit
process.exitCode = 4;
console.log("set", process.exitCode);
setTimeout(() => console.log("still runs"), 0);
