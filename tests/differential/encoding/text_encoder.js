// encoding: TextEncoder encodes UTF-8 and encodeInto reports read/written
const enc = new TextEncoder();
console.log(enc.encoding, Array.from(enc.encode("a€😀")).join(","));
const dst = new Uint8Array(4);
console.log(JSON.stringify(enc.encodeInto("a€😀", dst)), Array.from(dst).join(","));
