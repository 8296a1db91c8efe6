// globals: timers/promises setTimeout rejects with AbortError when its signal aborts
const { setTimeout: sleep } = require("node:timers/promises");
const ac = new AbortController();
sleep(1000, "late", { signal: ac.signal }).catch((e) => console.log("rejected", e.name, e.code));
setTimeout(() => ac.abort(), 5);
