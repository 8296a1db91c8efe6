// buffer: Buffer.from(arrayBuffer, offset, length) is a view
const ab = new ArrayBuffer(8);
const view = new Uint8Array(ab); view.set([1, 2, 3, 4, 5]);
const b = Buffer.from(ab, 1, 3);
view[2] = 99;
console.log(b.toString("hex"), b.length, b.buffer === ab);
