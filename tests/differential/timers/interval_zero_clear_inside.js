// timers: setInterval cleared from inside its own callback stops immediately
let calls = 0;
const h = setInterval(() => { calls += 1; clearInterval(h); }, 0);
setTimeout(() => console.log("calls", calls), 30);
