// errors: process.on('unhandledRejection') receives the reason and prevents the crash
process.on("unhandledRejection", (reason, p) => console.log("caught", reason.message, p instanceof Promise));
Promise.reject(new Error("handled elsewhere"));
setTimeout(() => console.log("still alive"), 0);
