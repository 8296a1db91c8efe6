// stream: Readable.from an array emits each item then end
const { Readable } = require("node:stream");
const r = Readable.from(["a", "b", "c"]);
const got = [];
r.on("data", (c) => got.push(c));
r.on("end", () => console.log(got.join(","), "end"));
