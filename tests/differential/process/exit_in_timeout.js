// process: process.exit inside a timer callback
setTimeout(() => { console.log("in timer"); process.exit(5); }, 1);
setTimeout(() => console.log("never"), 50);
