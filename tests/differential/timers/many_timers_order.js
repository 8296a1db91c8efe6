// timers: 100 timers with equal delay fire in creation order
const order = [];
for (let i = 0; i < 100; i++) setTimeout(() => order.push(i), 5);
setTimeout(() => console.log(order.length, order.every((v, i) => v === i)), 20);
