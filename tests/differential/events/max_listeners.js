// events: default/get/set max listeners
const EventEmitter = require("node:events");
const em = new EventEmitter();
console.log(EventEmitter.defaultMaxListeners, em.getMaxListeners());
em.setMaxListeners(3);
console.log(em.getMaxListeners());
