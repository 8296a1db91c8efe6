// process: process.exit(n) ends the process with that code and skips later output
console.log("before");
process.exit(3);
console.log("after");
