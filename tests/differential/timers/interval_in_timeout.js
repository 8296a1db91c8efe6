// timers: timers created inside timers run in later iterations
const order = [];
setTimeout(() => {
  order.push("outer");
  setTimeout(() => { order.push("inner"); console.log(order.join(">")); }, 0);
  Promise.resolve().then(() => order.push("micro"));
}, 0);
