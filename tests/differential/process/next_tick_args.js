// process: process.nextTick passes arguments
process.nextTick((a, b) => console.log("tick", a, b), "one", 2);
console.log("first");
