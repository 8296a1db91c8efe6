// process: process.exit() without an argument uses process.exitCode
process.exitCode = 12;
console.log("bye");
process.exit();
