// timers: an unref'd timer does not keep the process alive
setTimeout(() => console.log("should not print"), 200).unref();
console.log("done");
