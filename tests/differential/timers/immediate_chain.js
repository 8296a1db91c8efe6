// timers: setImmediate scheduled from an immediate runs in the next loop turn after timers
const order = [];
setImmediate(() => {
  order.push("imm1");
  setImmediate(() => { order.push("imm3"); console.log(order.join(",")); });
  process.nextTick(() => order.push("tick"));
});
setImmediate(() => order.push("imm2"));
