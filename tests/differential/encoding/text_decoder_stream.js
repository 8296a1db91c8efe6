// encoding: TextDecoder stream option joins split sequences; utf-16le and latin1
const d = new TextDecoder();
const bytes = new TextEncoder().encode("€");
console.log(JSON.stringify(d.decode(bytes.subarray(0, 2), { stream: true }) + d.decode(bytes.subarray(2))));
console.log(new TextDecoder("utf-16le").decode(new Uint8Array([104, 0, 105, 0])));
console.log(new TextDecoder("latin1").encoding);
