// timers: clearImmediate cancels an immediate
const im = setImmediate(() => console.log("never"));
setImmediate(() => console.log("kept"));
clearImmediate(im);
