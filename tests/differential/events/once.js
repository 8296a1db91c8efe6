// events: once listeners fire a single time
const { EventEmitter } = require("node:events");
const em = new EventEmitter();
em.once("x", (v) => console.log("once", v));
em.emit("x", 1); em.emit("x", 2);
console.log(em.listenerCount("x"));
