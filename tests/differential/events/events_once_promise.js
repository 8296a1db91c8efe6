// events: events.once resolves with the emitted arguments
const { once, EventEmitter } = require("node:events");
const em = new EventEmitter();
once(em, "ready").then((args) => console.log("resolved", JSON.stringify(args)));
setTimeout(() => em.emit("ready", 1, 2), 0);
