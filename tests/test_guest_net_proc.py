"""Guest child_process, fetch, http(s) and dns: one bridge op per process/request, Node's shapes
for results and for denials (spawnSync returns the error, fetch rejects, exec calls back)."""

from __future__ import annotations

import json

from test_guest_harness import guest_lines, run_guest

CMDS = {
    "/bin/echo": {"echoArgs": True},
    "/bin/cat": {"echoInput": True},
    "/usr/bin/env": {"echoEnv": True},
    "/bin/false": {"status": 1, "stderr": "failed!"},
    "/bin/sh": {"echoArgs": True},
}


def test_spawn_sync_family() -> None:
    src = """
    const cp = require('child_process');
    const r = cp.spawnSync('/bin/echo', ['a', 'b']);
    console.log(r.status, r.signal, r.pid > 0, Buffer.isBuffer(r.stdout), r.stdout.toString(), r.error);
    console.log(cp.spawnSync('/bin/cat', [], { input: 'piped', encoding: 'utf8' }).stdout);
    console.log(cp.execFileSync('/bin/echo', ['x'], { encoding: 'utf8' }));
    console.log(cp.execSync('ls -la', { encoding: 'utf8' }));
    try { cp.execFileSync('/bin/false'); } catch (e) { console.log(e.status, e.message.split('\\n').join('|')); }
    console.log(cp.spawnSync('/usr/bin/env', [], { env: { A: 1, B: undefined }, encoding: 'utf8' }).stdout);
    const big = cp.spawnSync('/bin/echo', ['0123456789'], { maxBuffer: 4, encoding: 'utf8' });
    console.log(big.error.code, big.stdout);
    try { cp.execFileSync('/bin/echo', ['0123456789'], { maxBuffer: 4 }); } catch (e) { console.log(e.code); }
    """
    r = run_guest(src, commands=CMDS)
    assert r["exit"] == 0, r["stderr"]
    assert r["stdout"].splitlines() == [
        "0 null true true a b undefined",
        "piped",
        "x",
        "-c ls -la",  # shells are explicit: the host (and its policy) sees /bin/sh -c <cmd>
        "1 Command failed: /bin/false|failed!",
        '{"A":"1"}',
        "ENOBUFS 0123",
        "ENOBUFS",
    ]
    assert r["stderr"] == "failed!"  # execFileSync echoes the child's stderr like Node


def test_denied_spawn_sync_returns_error_instead_of_throwing() -> None:
    src = """
    const cp = require('child_process');
    const r = cp.spawnSync('/bin/rm', ['-rf', '/']);
    console.log(r.status, r.pid, r.stdout.length, r.error.code, r.error.syscall, r.error.path, r.error.errno);
    console.log(r.error.message, r.error instanceof Error);
    try { cp.execSync('rm -rf /', { shell: '/bin/bash' }); } catch (e) { console.log('execSync', e.code, e.path); }
    """
    assert guest_lines(src, commands=CMDS) == [
        "null 0 0 EACCES spawnSync /bin/rm /bin/rm -13",
        "spawnSync /bin/rm EACCES true",
        "execSync EACCES /bin/bash",
    ]


def test_async_spawn_exec_and_denial_events() -> None:
    src = """
    const cp = require('child_process');
    const c = cp.spawn('/bin/cat');
    c.stdin.write('to ');
    c.stdin.end('stdin');
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', (code) => console.log('spawn close', code, out));
    cp.exec('echo hi', (err, stdout, stderr) => console.log('exec', err, JSON.stringify(stdout)));
    cp.execFile('/bin/false', (err, so, se) => console.log('execFile', err.code, JSON.stringify(se)));
    cp.spawn('/bin/rm').on('error', (e) => console.log('error event', e.code, e.syscall));
    require('util').promisify(cp.exec)('echo p').then(({ stdout }) => console.log('promisified', stdout));
    try { cp.fork('x.js'); } catch (e) { console.log(e.message); }
    """
    lines = guest_lines(src, commands=CMDS)
    assert sorted(lines) == sorted([
        "child_process.fork is not supported in sandbox",
        "error event EACCES spawn /bin/rm",
        "spawn close 0 to stdin",
        'exec null "-c echo hi"',
        'execFile 1 "failed!"',
        "promisified -c echo p",
    ])


FETCH = {
    "https://api.example.com/data": {"status": 200, "headers": {"content-type": "application/json"},
                                     "body": '{"ok":true}'},
    "https://api.example.com/missing": {"status": 404, "statusText": "Not Found", "body": "nope"},
}


def test_fetch_success_and_denial() -> None:
    src = """
    (async () => {
      const init = { method: 'POST', headers: { 'X-A': '1' }, body: 'payload' };
      const r = await fetch('https://api.example.com/data', init);
      console.log(r.status, r.ok, r.headers.get('Content-Type'), JSON.stringify(await r.json()), r.bodyUsed);
      const m = await fetch(new Request('https://api.example.com/missing'));
      console.log(m.status, m.ok, m.statusText, await m.text());
      try { await fetch('https://evil.example.net/'); }
      catch (e) { console.log(e.name, e.message, e.cause.code, e.cause.syscall, e.cause.path); }
      const h = new Headers([['a', '1'], ['A', '2']]); h.set('b', '3');
      console.log([...h].map(([k, v]) => k + '=' + v).join('&'), h.has('B'));
      const ac = new AbortController(); ac.abort();
      try { await fetch('https://api.example.com/data', { signal: ac.signal }); } catch (e) { console.log(e.name); }
      const rr = Response.json({ x: 1 });
      console.log(rr.headers.get('content-type'), await rr.text());
    })();
    """
    r = run_guest(src, fetch=FETCH)
    assert r["exit"] == 0, r["stderr"]
    assert r["stdout"].splitlines() == [
        '200 true application/json {"ok":true} true',
        "404 false Not Found nope",
        "TypeError fetch failed: EACCES: permission denied, connect 'https://evil.example.net/' EACCES connect"
        " https://evil.example.net/",
        "a=1, 2&b=3 true",
        "AbortError",
        'application/json {"x":1}',
    ]
    assert ["net.fetch.start", "https://evil.example.net/"] in r["ops"]


def test_http_get_and_request() -> None:
    src = """
    const https = require('https');
    https.get('https://api.example.com/data', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => console.log('get', res.statusCode, res.headers['content-type'], body));
    });
    const req = require('http').request({ hostname: 'evil.example.net', path: '/x', method: 'POST' });
    req.on('error', (e) => console.log('request error', e.code, e.syscall));
    req.write('data');
    req.end();
    try { require('http').createServer(); } catch (e) { console.log(e.message); }
    """
    lines = guest_lines(src, fetch=FETCH)
    assert sorted(lines) == sorted([
        "http.createServer is not supported in sandbox",
        "get 200 application/json {\"ok\":true}",
        "request error EACCES connect",
    ])


def test_dns_lookup() -> None:
    src = """
    const dns = require('dns');
    dns.lookup('example.com', (err, address, family) => console.log(err, address, family));
    dns.lookup('example.com', { all: true }, (err, all) => console.log(JSON.stringify(all)));
    dns.lookup('blocked.example', (err) => console.log(err.code, err.syscall, err.hostname));
    require('dns/promises').lookup('example.com').then((r) => console.log(JSON.stringify(r)));
    """
    lines = guest_lines(src, dns={"example.com": ["93.184.216.34", "2606:2800::1"]})
    assert sorted(lines) == sorted([
        "null 93.184.216.34 4",
        json.dumps([{"address": "93.184.216.34", "family": 4}, {"address": "2606:2800::1", "family": 6}],
                   separators=(",", ":")),
        "EACCES getaddrinfo blocked.example",
        '{"address":"93.184.216.34","family":4}',
    ])


def test_fetch_body_stream_blob_and_abort_signals() -> None:
    src = """
    (async () => {
      const r = await fetch('https://api.example.com/data');
      const reader = r.body.getReader();
      const first = await reader.read();
      console.log(first.done, Buffer.from(first.value).toString(), (await reader.read()).done, r.bodyUsed);
      const b = await (await fetch('https://api.example.com/data')).blob();
      console.log(b instanceof Blob, b.size, b.type, await b.slice(1, 5).text());
      const up = new Blob(['a', new Uint8Array([98])], { type: 'Text/Plain' });
      console.log(up.size, up.type, await up.text());
      const c = new AbortController();
      const any = AbortSignal.any([c.signal]);
      any.addEventListener('abort', (ev) => console.log('abort event', ev.type, any.reason.name));
      console.log(c.signal instanceof EventTarget);
      c.abort();
    })();
    """
    assert guest_lines(src, fetch=FETCH) == [
        'false {"ok":true} true true',
        'true 11 application/json "ok"',
        "2 text/plain ab",
        "true",
        "abort event abort AbortError",
    ]
