// events: 'newListener' fires before the listener is added
const EventEmitter = require("node:events");
const em = new EventEmitter();
em.on("newListener", (name) => console.log("adding", name, em.listenerCount(name)));
em.on("x", () => {});
em.on("x", () => {});
