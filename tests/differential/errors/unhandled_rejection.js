// errors: an unhandled promise rejection exits with code 1
console.log("scheduling");
Promise.reject(new Error("rejected!"));
setTimeout(() => console.log("never reached"), 50);
