// process: process.exit(256 + 3) exits with the code modulo 256
console.log("exiting");
process.exit(259);
