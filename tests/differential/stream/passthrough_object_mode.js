// stream: PassThrough in object mode keeps objects intact
const { PassThrough } = require("node:stream");
const p = new PassThrough({ objectMode: true });
p.on("data", (o) => console.log(JSON.stringify(o)));
p.on("end", () => console.log("end"));
p.write({ a: 1 }); p.write([2]); p.end({ last: true });
