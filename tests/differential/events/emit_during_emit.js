// events: removing a listener during emit does not affect the current emit
const EventEmitter = require("node:events");
const em = new EventEmitter();
const b = () => console.log("b");
em.on("e", () => { console.log("a"); em.off("e", b); });
em.on("e", b);
em.emit("e");
em.emit("e");
