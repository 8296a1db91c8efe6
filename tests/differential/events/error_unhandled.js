// events: emitting 'error' without a listener throws the error
const EventEmitter = require("node:events");
const em = new EventEmitter();
try { em.emit("error", new Error("boom")); } catch (err) { console.log("thrown:", err.message); }
em.on("error", (err) => console.log("handled:", err.message));
em.emit("error", new Error("second"));
