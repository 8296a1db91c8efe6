// errors: a rejection handled in the same tick is not reported
const p = Promise.reject(new Error("late"));
process.nextTick(() => p.catch((e) => console.log("handled", e.message)));
setTimeout(() => console.log("alive"), 0);
