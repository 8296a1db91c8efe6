// crypto: randomness and digests come from the host (crypto.random / crypto.hash / crypto.hmac):
// snapshot clones share PRNG state, so guest-side randomness would repeat across sandboxes.
"use strict";

const { Buffer } = require("buffer");
const host = require("../internal/host.js");
const { notSupported, codedError, invalidArgType } = require("../internal/errors.js");

const HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

function randomBytesRaw(n) {
  if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ${n}`);
  if (n === 0) return Buffer.alloc(0);
  const chunks = [];
  let left = n;
  while (left > 0) {
    const take = Math.min(left, 65536);
    const res = host.call("crypto.random", { n: take });
    const b = Buffer.from(res.data_b64, "base64");
    if (b.length !== take) throw new Error(`crypto.random returned ${b.length} bytes, wanted ${take}`);
    chunks.push(b);
    left -= take;
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function getRandomValues(view) {
  if (!ArrayBuffer.isView(view) || view instanceof DataView || view instanceof Float32Array || view instanceof Float64Array) {
    throw codedError(TypeError, "ERR_INVALID_ARG_TYPE", 'The "typedArray" argument must be an integer-type TypedArray');
  }
  if (view.byteLength > 65536) {
    const err = new RangeError(`The ArrayBufferView's byte length (${view.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
    err.name = "QuotaExceededError";
    err.code = 22;
    throw err;
  }
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(randomBytesRaw(view.byteLength));
  return view;
}

function randomUUID() {
  const b = randomBytesRaw(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function randomBytes(n, cb) {
  const b = randomBytesRaw(n);
  if (typeof cb === "function") { require("../internal/loop.js").nextTick(cb, [null, b]); return undefined; }
  return b;
}

function randomInt(min, max, cb) {
  if (max === undefined || typeof max === "function") { cb = max; max = min; min = 0; }
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min) {
    throw codedError(RangeError, "ERR_OUT_OF_RANGE", `The value of "max" is out of range. It must be greater than the value of "min" (${min}). Received ${max}`);
  }
  const range = max - min;
  const limit = Math.floor(281474976710656 / range) * range; // 2^48, rejection sampling
  let x;
  do { x = randomBytesRaw(6).readUIntBE(0, 6); } while (x >= limit);
  const v = min + (x % range);
  if (typeof cb === "function") { require("../internal/loop.js").nextTick(cb, [null, v]); return undefined; }
  return v;
}

function normAlg(alg) {
  const a = String(alg).toLowerCase().replace(/^sha-/, "sha");
  if (!HASHES.includes(a)) throw codedError(Error, "ERR_CRYPTO_INVALID_DIGEST", `Invalid digest: ${alg}`);
  return a;
}

/** Buffered: update() collects bytes, digest() is one host call. */
class Hash {
  constructor(alg, key) {
    this._alg = normAlg(alg);
    this._key = key;
    this._chunks = [];
    this._done = false;
  }
  update(data, encoding) {
    if (this._done) throw codedError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    if (typeof data === "string") this._chunks.push(Buffer.from(data, encoding || "utf8"));
    else if (ArrayBuffer.isView(data)) this._chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else throw invalidArgType("data", "of type string or an instance of Buffer, TypedArray, or DataView", data);
    return this;
  }
  digest(encoding) {
    if (this._done) throw codedError(Error, "ERR_CRYPTO_HASH_FINALIZED", "Digest already called");
    this._done = true;
    const data_b64 = Buffer.concat(this._chunks).toString("base64");
    const res = this._key === undefined
      ? host.call("crypto.hash", { alg: this._alg, data_b64 })
      : host.call("crypto.hmac", { alg: this._alg, key_b64: this._key.toString("base64"), data_b64 });
    const out = Buffer.from(res.digest_b64, "base64");
    return encoding && encoding !== "buffer" ? out.toString(encoding) : out;
  }
  copy() {
    const h = new Hash(this._alg, this._key);
    h._chunks = this._chunks.slice();
    return h;
  }
}

function keyBytes(key) {
  if (typeof key === "string") return Buffer.from(key, "utf8");
  if (ArrayBuffer.isView(key)) return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  throw invalidArgType("key", "of type string or an instance of Buffer, TypedArray, or DataView", key);
}

function timingSafeEqual(a, b) {
  if (a.byteLength !== b.byteLength) throw codedError(RangeError, "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH", "Input buffers must have the same byte length");
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  let d = 0;
  for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
  return d === 0;
}

const unsupported = (name) => () => { throw notSupported(`crypto.${name}`); };

const subtleDigest = async (alg, data) => {
  const name = String(alg && typeof alg === "object" ? alg.name : alg).toUpperCase();
  const map = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
  if (!map[name]) throw Object.assign(new Error(`Unrecognized algorithm name: ${name}`), { name: "NotSupportedError" });
  const bytes = data instanceof ArrayBuffer ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const d = new Hash(map[name]).update(bytes).digest();
  return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength);
};
const subtle = new Proxy({ digest: subtleDigest }, {
  get: (t, k) => (k === "digest" ? t.digest : typeof k === "string" ? unsupported(`subtle.${k}`) : undefined),
});
const webcrypto = { getRandomValues, randomUUID, subtle };

module.exports = {
  getRandomValues, randomUUID, randomBytes, randomFillSync: (v) => getRandomValues(v), randomInt,
  createHash: (alg) => new Hash(alg),
  createHmac: (alg, key) => new Hash(alg, keyBytes(key)),
  hash: (alg, data, enc = "hex") => new Hash(alg).update(data).digest(enc),
  getHashes: () => HASHES.slice(),
  timingSafeEqual, webcrypto, subtle, Hash,
  createCipheriv: unsupported("createCipheriv"), createDecipheriv: unsupported("createDecipheriv"),
  pbkdf2: unsupported("pbkdf2"), pbkdf2Sync: unsupported("pbkdf2Sync"), scrypt: unsupported("scrypt"),
  scryptSync: unsupported("scryptSync"), generateKeyPair: unsupported("generateKeyPair"),
  generateKeyPairSync: unsupported("generateKeyPairSync"), createSign: unsupported("createSign"),
  createVerify: unsupported("createVerify"), publicEncrypt: unsupported("publicEncrypt"),
  privateDecrypt: unsupported("privateDecrypt"), createPublicKey: unsupported("createPublicKey"),
  createPrivateKey: unsupported("createPrivateKey"), createSecretKey: unsupported("createSecretKey"),
};
