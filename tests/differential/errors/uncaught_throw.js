// errors: an uncaught Error exits with code 1; earlier stdout is kept
console.log("before throw");
throw new Error("uncaught failure");
