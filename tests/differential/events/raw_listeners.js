// events: listeners() unwraps once wrappers; rawListeners() does not
const EventEmitter = require("node:events");
const em = new EventEmitter();
function h() { console.log("h ran"); }
em.once("x", h);
console.log(em.listeners("x")[0] === h, em.rawListeners("x")[0] === h);
em.rawListeners("x")[0].listener();
console.log(em.listenerCount("x"));
