"""Pure-JS built-ins of the guest, checked differentially: the same snippet runs under real Node
and inside the sandbox shim, and the outputs must be identical."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from test_guest_harness import guest_lines, node_eval

SNIPPETS = {
    "path": r"""
const path = require('path');
const out = [
  path.join('/a/b', '../c', './d.txt'), path.resolve('/x', 'y', '..', 'z'), path.relative('/a/b/c', '/a/d'),
  path.normalize('/a//b/../c/.'), path.dirname('/a/b/c.txt'), path.basename('/a/b/c.txt', '.txt'),
  path.extname('x.tar.gz'), path.isAbsolute('a/b'), path.sep, path.delimiter,
  JSON.stringify(path.parse('/home/u/file.txt')), path.format({ dir: '/d', name: 'n', ext: '.e' }),
  path.posix.join('a', 'b'),
];
console.log(out.join('\n'));
""",
    "util_format": r"""
const util = require('util');
console.log(util.format('%s:%d:%i:%f:%j:%%:%o', 'str', 42.5, 42.5, '1.5', { a: [1] }, 'x'));
console.log(util.format('%s', { a: { b: { c: 1 } } }), util.format('a', 'b', 3), util.format('%s', 5n));
console.log(util.format('extra', { x: 1 }, [1, 'two'], null, undefined, true));
console.log(util.format('%d %s', 1));
""",
    "util_inspect": r"""
const { inspect } = require('util');
class Foo { constructor() { this.x = 1; } }
const circ = { name: 'c' }; circ.self = circ;
const values = [
  'str', 42, -0, 1n, true, null, undefined, Symbol('s'), [1, 'a', [2, [3, [4, [5]]]]],
  { a: 1, 'b-c': 2, nested: { deep: { deeper: { deepest: 1 } } } }, new Map([[1, 'one'], ['k', { v: 2 }]]),
  new Set([1, 'x']), new Foo(), Object.create(null), [], {}, function named() {}, () => {}, class K {},
  new Date(0), /re/g, circ, Buffer.from('hi'), new Uint8Array([1, 2, 3]), [1, , 3], new Error('bad').message,
  { f() {}, get g() { return 1; } }, Array.from({ length: 120 }, (_, i) => i).length,
  { longkeyname1: 'aaaaaaaaaa', longkeyname2: 'bbbbbbbbbb', longkeyname3: 'cccccccccc', longkeyname4: 'dddd' },
  new Boolean(true), new String('boxed'), [undefined, null], { [Symbol('k')]: 1 },
];
values.push(
  { a: [1, 'two', { three: 3 }], m: new Map([[1, 2]]), b: Buffer.from('hi') },
  Array.from({ length: 30 }, (_, i) => i * 7), ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'],
  { outer: { list: ['a fairly long string value', 'another fairly long string value'], n: { m: 1 } }, k: true },
  [{ id: 1, name: 'first item name' }, { id: 2, name: 'second item name' }, { id: 3, name: 'third' }],
  new Map([['key one', { nested: [1, 2, 3] }], ['key two', 'a string value that is long enough']]),
  Array.from({ length: 120 }, (_, i) => i),
);
for (const v of values) console.log(inspect(v));
console.log(inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), inspect('q\'s'), inspect("it's \"x\""));
""",
    "util_misc": r"""
const util = require('util');
function Old() {} function Base() {} Base.prototype.hi = () => 'hi';
util.inherits(Old, Base);
console.log(new Old().hi(), Old.super_ === Base, util.types.isDate(new Date()), util.types.isRegExp(/x/));
console.log(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual([1], ['1']));
const p = util.promisify((a, cb) => cb(null, a * 2));
p(21).then((v) => console.log('promisified', v));
""",
    "events": r"""
const EventEmitter = require('events');
const e = new EventEmitter();
const log = [];
e.on('x', (a) => log.push('on' + a));
e.prependListener('x', (a) => log.push('pre' + a));
e.once('x', (a) => log.push('once' + a));
e.emit('x', 1); e.emit('x', 2);
console.log(log.join(','), e.listenerCount('x'), e.eventNames().join(','));
try { e.emit('error', new Error('unhandled')); } catch (err) { console.log('threw', err.message); }
EventEmitter.once(e, 'y').then(([v]) => console.log('once promise', v));
e.emit('y', 'val');
console.log(typeof EventEmitter.EventEmitter, new EventEmitter().getMaxListeners());
""",
    "buffer": r"""
const b = Buffer.from('héllo wörld');
console.log(b.length, b.toString('hex'), b.toString('base64'), b.toString('latin1').length);
console.log(Buffer.from('aGk=', 'base64').toString(), Buffer.from('6869', 'hex').toString(), Buffer.alloc(3, 1).join());
const c = Buffer.concat([Buffer.from([1, 2]), Buffer.from([3])]);
console.log(c.readUInt16BE(0), c.readUInt8(2), c.equals(Buffer.from([1, 2, 3])), Buffer.compare(c, Buffer.from([9])));
const w = Buffer.alloc(8); w.writeUInt32LE(0xdeadbeef, 0); w.writeInt16BE(-2, 4);
console.log(w.toString('hex'), w.readInt16BE(4), w.subarray(0, 2).toString('hex'), Buffer.byteLength('€'));
console.log(JSON.stringify(Buffer.from('ab')), Buffer.isBuffer(new Uint8Array(1)), b.indexOf('w'), b.includes('llo'));
console.log(Buffer.from('hi').toString('utf16le').length, Buffer.from('hi', 'ucs2').length);
""",
    "url": r"""
const { URL, URLSearchParams, fileURLToPath, pathToFileURL, parse, format } = require('url');
const u = new URL('https://user:pw@Example.COM:8080/a/../b/c?x=1&y=two#frag');
console.log(u.href, u.origin, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.username);
u.searchParams.append('z', 'a b&c'); u.pathname = '/new path';
console.log(u.toString(), u.searchParams.get('y'), [...u.searchParams.keys()].join(','));
console.log(new URL('../up?q', 'http://h/a/b/c').href, new URL('HTTP://h').protocol);
try { new URL('not a url'); } catch (e) { console.log(e.name, e.constructor === TypeError); }
const sp = new URLSearchParams({ a: '1', b: 'x y' }); sp.sort();
console.log(sp.toString(), new URLSearchParams('?q=%20z&q=2').getAll('q').join('|'));
console.log(fileURLToPath('file:///tmp/a%20b.txt'), pathToFileURL('/tmp/a b#.txt').href);
const l = parse('http://u@host.com:81/p/a?x=1#h');
console.log(l.protocol, l.auth, l.hostname, l.port, l.pathname, l.search, l.query, l.hash, l.path);
console.log(format({ protocol: 'https', hostname: 'h.io', pathname: '/p', query: { a: 1 } }));
console.log(new URL('http://h/?a=1').searchParams instanceof URLSearchParams, typeof URL.prototype.toJSON);
""",
    "querystring_stringdecoder": r"""
const qs = require('querystring');
console.log(JSON.stringify(qs.parse('a=1&b=2&a=3&c=%20d')), qs.stringify({ x: [1, 2], y: 'a b' }));
const { StringDecoder } = require('string_decoder');
const d = new StringDecoder('utf8');
const euro = Buffer.from('€');
console.log(JSON.stringify(d.write(euro.subarray(0, 1))), d.write(euro.subarray(1)), JSON.stringify(d.end()));
""",
    "assert": r"""
const assert = require('assert');
const tries = [
  () => assert.strictEqual(1, 2), () => assert.deepStrictEqual({ a: [1] }, { a: [1] }),
  () => assert.deepStrictEqual({ a: 1 }, { a: '1' }), () => assert.deepEqual({ a: 1 }, { a: '1' }),
  () => assert.ok(0), () => assert(true), () => assert.throws(() => { throw new TypeError('t'); }, TypeError),
  () => assert.throws(() => { throw new Error('msg'); }, { message: 'msg' }), () => assert.throws(() => {}),
  () => assert.notStrictEqual(1, 1), () => assert.match('abc', /b/), () => assert.fail('boom'),
  () => assert.deepStrictEqual(new Map([[1, { a: 1 }]]), new Map([[1, { a: 1 }]])),
  () => assert.deepStrictEqual(new Set([1, 2]), new Set([2, 3])),
];
for (const t of tries) {
  try { t(); console.log('ok'); } catch (e) { console.log(e.name, e.code, e instanceof assert.AssertionError); }
}
assert.rejects(Promise.reject(new Error('r')), /r/).then(() => console.log('rejects ok'));
""",
    "text_clone": r"""
const enc = new TextEncoder();
console.log(enc.encoding, Array.from(enc.encode('a€')).join(','),
  JSON.stringify(enc.encodeInto('a€', new Uint8Array(3))));
const dec = new TextDecoder();
console.log(dec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])), dec.decode(new Uint8Array([0xff])).length);
try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc3])); }
catch (e) { console.log(e.name, e.code); }
const sd = new TextDecoder(); const bytes = enc.encode('€');
console.log(JSON.stringify(sd.decode(bytes.subarray(0, 2), { stream: true })), sd.decode(bytes.subarray(2)));
console.log(new TextDecoder('utf-16le').decode(new Uint8Array([104, 0, 105, 0])), new TextDecoder('latin1').encoding);
const src = { d: new Date(5), m: new Map([[1, { s: new Set([2]) }]]), a: [1, { b: 2 }], r: /x/gi,
  u: new Uint8Array([1, 2]) };
src.self = src;
const c = structuredClone(src);
console.log(c !== src, c.self === c, c.d.getTime(), c.m.get(1).s.has(2), c.a[1].b, String(c.r), c.u[1], c.u !== src.u);
try { structuredClone({ f() {} }); } catch (e) { console.log(e.name); }
""",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_matches_real_node(name: str) -> None:
    src = SNIPPETS[name]
    expected = node_eval(src).splitlines()
    actual = guest_lines(src)
    assert actual == expected


def test_crypto_digests_come_from_the_host() -> None:
    src = """
    const c = require('crypto');
    console.log(c.createHash('sha256').update('ab').update(Buffer.from('c')).digest('hex'));
    console.log(c.createHmac('sha1', 'key').update('data').digest('base64'));
    console.log(c.createHash('md5').update('').digest().length);
    try { c.createHash('whirlpool'); } catch (e) { console.log(e.code); }
    try { c.createCipheriv('aes-128-cbc'); } catch (e) { console.log(e.message); }
    """
    lines = guest_lines(src)
    assert lines[0] == hashlib.sha256(b"abc").hexdigest()
    import base64

    assert lines[1] == base64.b64encode(hmac.new(b"key", b"data", hashlib.sha1).digest()).decode()
    assert lines[2:] == ["16", "ERR_CRYPTO_INVALID_DIGEST", "crypto.createCipheriv is not supported in sandbox"]


def test_crypto_randomness() -> None:
    src = """
    const c = require('crypto');
    const ids = new Set(Array.from({ length: 50 }, () => c.randomUUID()));
    console.log(ids.size, [...ids][0]);
    const v = crypto.getRandomValues(new Uint32Array(4));
    console.log(v.length, v.some((x) => x !== 0));
    try { crypto.getRandomValues(new Uint8Array(65537)); } catch (e) { console.log(e.name); }
    const ints = Array.from({ length: 200 }, () => c.randomInt(3, 6));
    console.log(Math.min(...ints) >= 3, Math.max(...ints) <= 5, new Set(ints).size);
    console.log(c.randomBytes(70000).length);
    """
    lines = guest_lines(src)
    assert lines[0].startswith("50 ")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", lines[0][3:])
    assert lines[1:] == ["4 true", "QuotaExceededError", "true true 3", "70000"]
