// timers: negative and NaN delays behave like 1 ms (creation order kept); a numeric string delay is converted
setTimeout(() => console.log("neg"), -5);
setTimeout(() => console.log("nan"), NaN);
setTimeout(() => console.log("str"), "2");
setTimeout(() => console.log("zero"), 0);
setTimeout(() => console.log("ten"), 10);
