// timers: timers fire in order of their delays, ties in creation order
setTimeout(() => console.log("40"), 40);
setTimeout(() => console.log("0a"), 0);
setTimeout(() => console.log("20"), 20);
setTimeout(() => console.log("0b"), 0);
setTimeout(() => console.log("1"), 1);
