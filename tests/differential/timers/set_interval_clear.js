// timers: setInterval repeats until clearInterval
let n = 0;
const h = setInterval(() => {
  n += 1;
  console.log("tick", n);
  if (n === 3) { clearInterval(h); console.log("stopped"); }
}, 5);
