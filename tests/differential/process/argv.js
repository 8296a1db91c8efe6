// process: process.argv has the executable and the script (no extra args)
console.log(process.argv.length, typeof process.argv[0], process.argv[1].endsWith(".js"));
console.log(Array.isArray(process.execArgv), process.execArgv.length);
