// timers: Timeout objects support ref/unref/hasRef/refresh and are not numbers
const t = setTimeout(() => console.log("fired"), 5);
console.log(typeof t, t.hasRef(), t.unref() === t, t.hasRef(), t.ref() === t);
console.log(typeof t[Symbol.toPrimitive]);
