// timers: clearTimeout inside another callback scheduled for the same tick
let b;
setTimeout(() => { console.log("a"); clearTimeout(b); }, 5);
b = setTimeout(() => console.log("b should not run"), 5);
setTimeout(() => console.log("c"), 5);
