// events: on + emit pass arguments; emit returns whether listeners ran
const EventEmitter = require("node:events");
const em = new EventEmitter();
em.on("data", (a, b) => console.log("got", a, b));
console.log(em.emit("data", 1, "two"));
console.log(em.emit("nothing"));
