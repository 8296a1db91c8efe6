// errors: an error thrown in a nextTick callback exits with code 1 and stops later timers
setTimeout(() => console.log("never"), 0);
process.nextTick(() => { console.log("tick"); throw new Error("from tick"); });
