// timers: inside a timer callback, setImmediate runs before a new setTimeout 0
setTimeout(() => {
  setTimeout(() => console.log("timeout"), 0);
  setImmediate(() => console.log("immediate"));
  process.nextTick(() => console.log("tick"));
}, 0);
