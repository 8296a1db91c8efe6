// events: events.on returns an async iterator of emitted argument arrays
const { on, EventEmitter } = require("node:events");
const em = new EventEmitter();
(async () => {
  let n = 0;
  for await (const [v] of on(em, "tick")) { console.log("got", v); if (++n === 3) break; }
  console.log("done", em.listenerCount("tick"));
})();
setTimeout(() => { em.emit("tick", 1); em.emit("tick", 2); em.emit("tick", 3); }, 0);
