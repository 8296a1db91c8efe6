// timers: nextTick queued from nextTick runs before promises
Promise.resolve().then(() => console.log("promise 1"));
process.nextTick(() => {
  console.log("tick 1");
  process.nextTick(() => console.log("tick 2"));
  Promise.resolve().then(() => console.log("promise 2"));
});
