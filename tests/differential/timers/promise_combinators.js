// timers: Promise.all/race/any/allSettled settle in the expected order
const d = (ms, v, fail) => new Promise((res, rej) => setTimeout(() => (fail ? rej(new Error(v)) : res(v)), ms));
Promise.race([d(20, "slow"), d(5, "fast")]).then((v) => console.log("race", v));
Promise.all([d(10, "a"), d(1, "b")]).then((v) => console.log("all", v.join("")));
Promise.allSettled([d(1, "ok"), d(2, "no", true)]).then((r) => console.log("settled", r.map((x) => x.status).join(",")));
Promise.any([d(3, "x", true), d(8, "y")]).then((v) => console.log("any", v));
