// events: removeAllListeners for one event and for all
const EventEmitter = require("node:events");
const em = new EventEmitter();
em.on("a", () => {}); em.on("b", () => {}); em.on("b", () => {});
em.removeAllListeners("b");
console.log(em.eventNames().join(","));
em.removeAllListeners();
console.log(em.eventNames().length);
