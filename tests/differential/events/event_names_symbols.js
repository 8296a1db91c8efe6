// events: eventNames includes string and symbol names
const EventEmitter = require("node:events");
const em = new EventEmitter();
const s = Symbol("sym");
em.on("foo", () => {}); em.on(s, () => {});
console.log(em.eventNames().map(String).join(","));
