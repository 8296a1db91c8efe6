// buffer: out-of-range reads throw ERR_OUT_OF_RANGE
const b = Buffer.alloc(2);
try { b.readUInt32LE(0); } catch (e) { console.log(e.name, e.code); }
try { b.writeUInt8(300, 0); } catch (e) { console.log(e.name, e.code); }
