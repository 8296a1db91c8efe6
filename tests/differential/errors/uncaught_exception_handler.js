// errors: process.on('uncaughtException') keeps the process alive
process.on("uncaughtException", (err, origin) => console.log("handler", err.message, origin));
setTimeout(() => { throw new Error("from timer"); }, 0);
setTimeout(() => console.log("after"), 5);
