// timers: setTimeout/setImmediate pass extra arguments (scheduled from a timer, so the order is fixed)
setTimeout(() => {
  setTimeout((a, b) => console.log("timeout", a, b), 0, "x", 2);
  setImmediate((a) => console.log("immediate", a), "y");
}, 0);
