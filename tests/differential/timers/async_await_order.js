// timers: await continuations interleave with then-chains
async function a() { console.log("a1"); await null; console.log("a2"); await null; console.log("a3"); }
a();
Promise.resolve().then(() => console.log("p1")).then(() => console.log("p2"));
console.log("sync end");
