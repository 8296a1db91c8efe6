// events: classes extending EventEmitter emit with this bound
const EventEmitter = require("node:events");
class Door extends EventEmitter { open() { this.emit("open", this.name); } }
const d = new Door(); d.name = "front";
d.on("open", function (n) { console.log("opened", n, this === d); });
d.open();
console.log(d instanceof EventEmitter);
