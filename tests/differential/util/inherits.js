// util: util.inherits sets up the prototype chain and super_
const util = require("node:util");
const EventEmitter = require("node:events");
function Stream() { EventEmitter.call(this); }
util.inherits(Stream, EventEmitter);
const s = new Stream();
console.log(s instanceof EventEmitter, Stream.super_ === EventEmitter);
s.on("d", (x) => console.log("d", x)); s.emit("d", 5);
