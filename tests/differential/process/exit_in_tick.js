// process: process.exit inside nextTick stops pending timers
setTimeout(() => console.log("timer never"), 0);
process.nextTick(() => { console.log("tick"); process.exit(7); });
