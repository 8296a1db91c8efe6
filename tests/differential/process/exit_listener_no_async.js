// process: timers scheduled inside an 'exit' listener never run
process.on("exit", () => {
  setTimeout(() => console.log("never"), 0);
  process.nextTick(() => console.log("never tick"));
  console.log("exit listener");
});
console.log("main");
