// timers: async generators interleave with other microtasks
async function* gen() { yield 1; await null; yield 2; }
(async () => { for await (const v of gen()) console.log("gen", v); console.log("gen done"); })();
Promise.resolve().then(() => console.log("p1")).then(() => console.log("p2")).then(() => console.log("p3"));
