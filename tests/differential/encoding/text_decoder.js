// encoding: TextDecoder decodes UTF-8, strips BOM, replaces invalid bytes, fatal throws
const d = new TextDecoder();
console.log(d.encoding, d.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])));
console.log(JSON.stringify(d.decode(new Uint8Array([0x61, 0xff, 0x62]))));
try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { console.log(e.name, e.code); }
