// errors: an error thrown in a timer callback exits with code 1
setTimeout(() => { console.log("timer"); throw new Error("late"); }, 0);
setTimeout(() => console.log("never"), 50);
