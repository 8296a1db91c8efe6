// events: emitting 'error' with a non-Error value throws ERR_UNHANDLED_ERROR
const EventEmitter = require("node:events");
try { new EventEmitter().emit("error", "just a string"); } catch (err) { console.log(err.code, err instanceof Error); }
