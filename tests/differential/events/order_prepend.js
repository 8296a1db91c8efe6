// events: listeners run in registration order; prependListener goes first
const EventEmitter = require("node:events");
const em = new EventEmitter();
em.on("e", () => console.log("first"));
em.on("e", () => console.log("second"));
em.prependListener("e", () => console.log("prepended"));
em.prependOnceListener("e", () => console.log("prepended once"));
em.emit("e"); em.emit("e");
