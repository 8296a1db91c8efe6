// events: events.errorMonitor sees errors before regular listeners
const { EventEmitter, errorMonitor } = require("node:events");
const em = new EventEmitter();
em.on(errorMonitor, (e) => console.log("monitor", e.message));
em.on("error", (e) => console.log("handler", e.message));
em.emit("error", new Error("observed"));
