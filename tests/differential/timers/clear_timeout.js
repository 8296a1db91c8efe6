// timers: clearTimeout prevents a callback; clearing twice is harmless
const t1 = setTimeout(() => console.log("never"), 10);
const t2 = setTimeout(() => console.log("runs"), 20);
clearTimeout(t1); clearTimeout(t1); clearTimeout(undefined);
console.log("cleared");
