// errors: uncaughtException handler then process.exitCode
process.on("uncaughtException", (e) => { console.log("saw", e.message); process.exitCode = 6; });
throw new Error("sync throw");
