// buffer: toString in hex, base64, base64url, latin1, ascii
const b = Buffer.from([0xfb, 0xff, 0x41, 0x42, 0x00, 0xe9]);
for (const enc of ["hex", "base64", "base64url", "latin1", "binary"]) console.log(enc, JSON.stringify(b.toString(enc)));
