"""Guest ``fs``: each call is one bridge op on the raw guest path, and host denials surface with
Node's exact error shape (code, errno, syscall, path, message), in sync, callback and promise forms."""

from __future__ import annotations

import pytest
from test_guest_harness import guest_lines, run_guest

FILES = {"/data/a.txt": "hello", "/data/sub/b.txt": "bee", "/secret/key": "k"}


def test_read_write_append_and_encodings() -> None:
    src = """
    const fs = require('fs');
    console.log(fs.readFileSync('/data/a.txt', 'utf8'));
    const b = fs.readFileSync('/data/a.txt');
    console.log(Buffer.isBuffer(b), b.length, b.toString('hex'));
    fs.writeFileSync('/data/new.txt', 'one');
    fs.appendFileSync('/data/new.txt', Buffer.from('-two'));
    console.log(fs.readFileSync('/data/new.txt', { encoding: 'utf8' }));
    fs.writeFileSync('/data/bin', new Uint8Array([0, 255, 7]));
    console.log([...fs.readFileSync('/data/bin')].join(','));
    try { fs.writeFileSync('/data/new.txt', 'x', { flag: 'wx' }); } catch (e) { console.log(e.code, e.syscall); }
    """
    assert guest_lines(src, files=FILES) == [
        "hello",
        "true 5 68656c6c6f",
        "one-two",
        "0,255,7",
        "EEXIST open",
    ]


@pytest.mark.parametrize(
    ("call", "syscall", "path"),
    [
        ("fs.readFileSync('/secret/key')", "open", "/secret/key"),
        ("fs.writeFileSync('/secret/new', 'x')", "open", "/secret/new"),
        ("fs.mkdirSync('/secret/d')", "mkdir", "/secret/d"),
        ("fs.readdirSync('/secret')", "scandir", "/secret"),
        ("fs.statSync('/secret/key')", "stat", "/secret/key"),
        ("fs.lstatSync('/secret/key')", "lstat", "/secret/key"),
        ("fs.unlinkSync('/secret/key')", "unlink", "/secret/key"),
        ("fs.chmodSync('/secret/key', 0o600)", "chmod", "/secret/key"),
        ("fs.readlinkSync('/secret/key')", "readlink", "/secret/key"),
        ("fs.openSync('/secret/key', 'r')", "open", "/secret/key"),
        ("fs.accessSync('/secret/key')", "access", "/secret/key"),
        ("fs.utimesSync('/secret/key', 1, 1)", "utime", "/secret/key"),
    ],
)
def test_denied_paths_have_node_error_shape(call: str, syscall: str, path: str) -> None:
    src = f"""
    const fs = require('fs');
    try {{ {call}; console.log('no error'); }}
    catch (e) {{ console.log(JSON.stringify([e instanceof Error, e.code, e.errno, e.syscall, e.path, e.message])); }}
    """
    r = run_guest(src, files=FILES, deny=["/secret"])
    assert r["exit"] == 0, r["stderr"]
    expected = f'[true,"EACCES",-13,"{syscall}","{path}","EACCES: permission denied, {syscall} \'{path}\'"]'
    assert r["stdout"].strip() == expected


def test_denied_relative_path_keeps_guest_spelling() -> None:
    # The error names the path exactly as the guest wrote it, never the host's resolution of it.
    src = """
    const fs = require('fs');
    try { fs.readFileSync('../secret/key'); } catch (e) { console.log(e.code, e.path); }
    """
    assert guest_lines(src, files=FILES, deny=["/secret"], config={"cwd": "/data"}) == ["EACCES ../secret/key"]


def test_rename_denial_reports_both_paths() -> None:
    src = """
    const fs = require('fs');
    try { fs.renameSync('/data/a.txt', '/secret/a'); } catch (e) { console.log(e.code, e.syscall, e.path, e.dest); }
    """
    assert guest_lines(src, files=FILES, deny=["/secret"]) == ["EACCES rename /data/a.txt /secret/a"]


def test_missing_file_and_bad_arguments() -> None:
    src = """
    const fs = require('fs');
    try { fs.readFileSync('/nope'); } catch (e) { console.log(e.code, e.errno, e.message); }
    try { fs.readFileSync('/data/a\\0.txt'); } catch (e) { console.log(e.code, e.name); }
    try { fs.readFileSync(42.5); } catch (e) { console.log(e.code); }
    console.log(fs.existsSync('/nope'), fs.existsSync('/data/a.txt'), fs.existsSync({}));
    console.log(fs.statSync('/nope', { throwIfNoEntry: false }));
    """
    assert guest_lines(src, files=FILES) == [
        "ENOENT -2 ENOENT: no such file or directory, open '/nope'",
        "ERR_INVALID_ARG_VALUE TypeError",
        "ERR_INVALID_ARG_TYPE",
        "false true false",
        "undefined",
    ]


def test_directories_stats_and_links() -> None:
    src = """
    const fs = require('fs');
    console.log(fs.mkdirSync('/x/y/z', { recursive: true }));
    console.log(fs.readdirSync('/data').join(','));
    const ents = fs.readdirSync('/data', { withFileTypes: true });
    console.log(ents.map((d) => d.name + ':' + (d.isDirectory() ? 'd' : d.isFile() ? 'f' : '?')).join(','));
    console.log(fs.readdirSync('/data', { recursive: true }).join(','));
    const st = fs.statSync('/data/a.txt');
    console.log(st.isFile(), st.isDirectory(), st.size, (st.mode & 0o170000).toString(8), st.mtime instanceof Date);
    fs.symlinkSync('/data/a.txt', '/data/link');
    console.log(fs.lstatSync('/data/link').isSymbolicLink(), fs.statSync('/data/link').isFile());
    console.log(fs.readlinkSync('/data/link'), fs.realpathSync('/data/link'));
    fs.linkSync('/data/a.txt', '/data/hard');
    console.log(fs.readFileSync('/data/hard', 'utf8'));
    fs.copyFileSync('/data/a.txt', '/data/copy');
    try { fs.copyFileSync('/data/a.txt', '/data/copy', fs.constants.COPYFILE_EXCL); } catch (e) { console.log(e.code); }
    fs.renameSync('/data/copy', '/data/moved');
    console.log(fs.existsSync('/data/copy'), fs.readFileSync('/data/moved', 'utf8'));
    fs.chmodSync('/data/moved', '600');
    console.log((fs.statSync('/data/moved').mode & 0o777).toString(8));
    fs.utimesSync('/data/moved', 10, 20);
    console.log(fs.statSync('/data/moved').mtimeMs);
    fs.truncateSync('/data/moved', 2);
    console.log(fs.readFileSync('/data/moved', 'utf8'));
    try { fs.rmdirSync('/data'); } catch (e) { console.log(e.code); }
    try { fs.rmSync('/data/sub'); } catch (e) { console.log(e.code); }
    fs.rmSync('/data/sub', { recursive: true });
    fs.rmSync('/data/none', { force: true });
    fs.unlinkSync('/data/moved');
    console.log(fs.readdirSync('/data').join(','));
    fs.mkdirSync('/empty'); fs.rmdirSync('/empty'); console.log(fs.existsSync('/empty'));
    """
    assert guest_lines(src, files=FILES) == [
        "/x",
        "a.txt,sub",
        "a.txt:f,sub:d",
        "a.txt,sub,sub/b.txt",
        "true false 5 100000 true",
        "true true",
        "/data/a.txt /data/a.txt",
        "hello",
        "EEXIST",
        "false hello",
        "600",
        "20000",
        "he",
        "ENOTEMPTY",
        "ERR_FS_EISDIR",
        "a.txt,copy,hard,link".replace("copy,", ""),
        "false",
    ]


def test_file_descriptors() -> None:
    src = """
    const fs = require('fs');
    const fd = fs.openSync('/data/f', 'w');
    console.log(fs.writeSync(fd, 'abc'), fs.writeSync(fd, Buffer.from('XYZ'), 1, 2));
    fs.closeSync(fd);
    console.log(fs.readFileSync('/data/f', 'utf8'));
    const r = fs.openSync('/data/f', 'r');
    const buf = Buffer.alloc(10);
    console.log(fs.readSync(r, buf, 0, 10, null), buf.toString('utf8', 0, 5));
    console.log(fs.readSync(r, buf, 0, 10, 1), buf.toString('utf8', 0, 4));
    console.log(fs.fstatSync(r).size);
    fs.closeSync(r);
    try { fs.closeSync(r); } catch (e) { console.log(e.code, e.syscall); }
    """
    assert guest_lines(src, files=FILES) == ["3 2", "abcYZ", "5 abcYZ", "4 bcYZ", "5", "EBADF close"]


def test_fd_limit_surfaces_emfile() -> None:
    # The fake host allows 16 open files; the 17th open must fail with the host's EMFILE.
    src = """
    const fs = require('fs');
    let n = 0;
    try { for (;;) { fs.openSync('/data/a.txt', 'r'); n++; } } catch (e) { console.log(n, e.code, e.syscall); }
    """
    assert guest_lines(src, files=FILES) == ["16 EMFILE open"]


def test_callback_and_promise_forms() -> None:
    src = """
    const fs = require('fs');
    const order = [];
    fs.readFile('/data/a.txt', 'utf8', (err, d) => { order.push('cb:' + d); });
    fs.readFile('/secret/key', (err) => { order.push('cberr:' + err.code + ':' + err.syscall); });
    order.push('sync');
    (async () => {
      const fsp = require('fs/promises');
      await fsp.writeFile('/data/p.txt', 'promised');
      order.push('p:' + await fsp.readFile('/data/p.txt', 'utf8'));
      try { await fsp.readFile('/secret/key'); } catch (e) { order.push('perr:' + e.code + ':' + e.path); }
      const fh = await fsp.open('/data/p.txt', 'r');
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(4), 0, 4, 0);
      order.push('fh:' + bytesRead + ':' + buffer.toString());
      await fh.close();
      console.log(order.join(' '));
      console.log(require('fs').promises === fsp, typeof require('node:fs/promises').stat);
    })();
    """
    assert guest_lines(src, files=FILES, deny=["/secret"]) == [
        "sync cb:hello cberr:EACCES:open p:promised perr:EACCES:/secret/key fh:4:prom",
        "true function",
    ]


def test_streams() -> None:
    src = """
    const fs = require('fs');
    const w = fs.createWriteStream('/data/s.txt');
    w.write('line1\\n');
    w.end('line2\\n', () => {
      const chunks = [];
      fs.createReadStream('/data/s.txt', { encoding: 'utf8', highWaterMark: 4 })
        .on('data', (c) => chunks.push(c))
        .on('end', () => {
          console.log(JSON.stringify(chunks.join('')), chunks.length > 1);
          fs.createReadStream('/data/s.txt', { start: 2, end: 4 }).on('data', (c) => console.log(c.toString()));
          fs.createReadStream('/secret/key').on('error', (e) => console.log('err', e.code, e.syscall));
        });
    });
    """
    assert guest_lines(src, files=FILES, deny=["/secret"]) == ['"line1\\nline2\\n" true', "ne1", "err EACCES open"]


def test_unsupported_fs_functions() -> None:
    src = """
    const fs = require('fs');
    try { fs.watch('/data'); } catch (e) { console.log(e.message); }
    """
    assert guest_lines(src, files=FILES) == ["fs.watch is not supported in sandbox"]


def test_ops_are_one_per_call_with_raw_paths() -> None:
    r = run_guest(
        "require('fs').readFileSync('./a.txt'); require('fs').existsSync('sub');",
        files=FILES,
        config={"cwd": "/data"},
    )
    assert r["ops"] == [["fs.readFile", "./a.txt"], ["fs.stat", "sub"]]


def test_single_syscall_apis_report_their_syscall_whatever_the_host_did() -> None:
    # A host that resolved the path with a stat and reported that must not leak into Node's shape.
    src = """
    const fs = require('fs');
    try { fs.accessSync('/nope'); } catch (e) { console.log(e.code, e.syscall, e.message); }
    try { fs.statSync('/nope'); } catch (e) { console.log(e.code, e.syscall); }
    """
    assert guest_lines(src, files=FILES) == [
        "ENOENT access ENOENT: no such file or directory, access '/nope'",
        "ENOENT stat",
    ]


def test_host_internal_step_names_never_replace_node_syscalls() -> None:
    # The fake host reports ELOOP from its path walk as syscall "resolve" for this file.
    src = """
    const fs = require('fs');
    fs.symlinkSync('/data/loop2', '/data/loop1');
    fs.symlinkSync('/data/loop1', '/data/loop2');
    try { fs.statSync('/data/loop1'); } catch (e) { console.log(e.code, e.syscall, e.message); }
    try { fs.readFileSync('/data/loop1'); } catch (e) { console.log(e.code, e.syscall); }
    """
    assert guest_lines(src, files=FILES, internalSyscall="resolve") == [
        "ELOOP stat ELOOP: too many symbolic links encountered, stat '/data/loop1'",
        "ELOOP open",
    ]
