// events: removeListener/off remove one registration
const EventEmitter = require("node:events");
const em = new EventEmitter();
const f = () => console.log("f");
em.on("a", f); em.on("a", f);
em.removeListener("a", f);
console.log(em.listenerCount("a"));
em.off("a", f);
console.log(em.listenerCount("a"), em.emit("a"));
