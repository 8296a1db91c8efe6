"""Guest ``process``, timers and the host-driven event loop (__se_tick/__se_pending/__se_finish)."""

from __future__ import annotations

from test_guest_harness import guest_lines, run_guest


def test_env_proxy_asks_the_host_and_denied_keys_are_absent() -> None:
    src = """
    const e = process.env;
    console.log(e.HOME, e.SECRET, 'SECRET' in e, 'HOME' in e, Object.keys(e).join(','));
    e.FOO = 42;
    console.log(typeof e.FOO, e.FOO, JSON.stringify({ ...e }));
    delete e.FOO;
    console.log(e.FOO, Object.hasOwn(e, 'HOME'));
    try { e.SECRET = 'x'; } catch (err) { console.log(err.code, err.path); }
    """
    r = run_guest(src, env={"HOME": "/home/u", "SECRET": "s3"}, denyEnv=["SECRET"])
    assert r["exit"] == 0, r["stderr"]
    assert r["stdout"].splitlines() == [
        "/home/u undefined false true HOME",
        'string 42 {"HOME":"/home/u","FOO":"42"}',
        "undefined true",
        "EACCES SECRET",
    ]
    assert ["env.get", "SECRET"] in r["ops"]


def test_identity_from_host_config_and_cwd() -> None:
    src = """
    console.log(process.platform, process.arch, process.version, process.versions.node, process.pid);
    console.log(process.argv.join(' '), process.cwd());
    process.chdir('/data');
    console.log(process.cwd());
    try { process.chdir('/nonexistent/path'); } catch (e) { console.log(e.code, e.syscall, e.path); }
    console.log(require('os').hostname(), require('os').platform(), require('os').EOL === '\\n');
    """
    lines = guest_lines(
        src,
        files={"/data/x": ""},
        config={"platform": "linux", "arch": "arm64", "version": "v20.11.1", "argv": ["node", "/app/main.js", "--x"],
                "pid": 7, "cwd": "/app", "os": {"hostname": "box"}},
    )
    assert lines == [
        "linux arm64 v20.11.1 20.11.1 7",
        "node /app/main.js --x /app",
        "/data",
        "ENOENT chdir /nonexistent/path",
        "box linux true",
    ]


def test_exit_code_marker_and_exit_listeners() -> None:
    src = """
    process.on('exit', (c) => console.log('exit event', c));
    setTimeout(() => console.log('never'), 10);
    try { process.exit(7); } catch (e) { console.log('caught', e.name, e.code, e.exitCode); }
    console.log('after');
    """
    r = run_guest(src)
    # The host learns the code from the process.exit op even though user code caught the marker,
    # and no timer runs after exit.
    assert r["exit"] == 7
    assert r["stdout"].splitlines() == ["exit event 7", "caught ProcessExit ERR_PROCESS_EXIT 7", "after"]
    assert ["process.exit", None] in r["ops"]


def test_exit_from_timer_and_next_tick() -> None:
    r = run_guest("setTimeout(() => process.nextTick(() => process.exit(3)), 50); setInterval(() => {}, 10);")
    assert r["exit"] == 3
    r = run_guest("process.exitCode = 5; process.on('exit', (c) => console.log('bye', c));")
    assert r["exit"] == 5 and r["stdout"] == "bye 5\n"


def test_uncaught_error_in_timer_fails_the_run_unless_handled() -> None:
    r = run_guest("setTimeout(() => { throw new Error('boom'); }, 1);")
    assert r["exit"] == 1 and r["error"]["message"] == "boom"
    src = """
    process.on('uncaughtException', (e) => console.log('handled', e.message));
    setTimeout(() => { throw new Error('boom'); }, 1);
    setTimeout(() => console.log('still running'), 2);
    """
    assert guest_lines(src) == ["handled boom", "still running"]


def test_timer_ordering_and_loop_end() -> None:
    src = """
    const log = [];
    setTimeout(() => log.push('t20'), 20);
    const t = setTimeout(() => log.push('cleared'), 5);
    setTimeout(() => log.push('t10a'), 10);
    setTimeout(() => log.push('t10b'), 10);
    setImmediate(() => log.push('immediate'));
    process.nextTick(() => log.push('tick'));
    Promise.resolve().then(() => log.push('micro'));
    clearTimeout(t);
    let n = 0;
    const iv = setInterval(() => { log.push('iv' + (++n)); if (n === 3) clearInterval(iv); }, 7);
    setTimeout(() => setTimeout(() => console.log(log.join(' ')), 0), 30);
    const u = setTimeout(() => console.log('unref never runs'), 1000); u.unref();
    log.push('sync');
    """
    assert guest_lines(src) == ["sync tick micro immediate iv1 t10a t10b iv2 t20 iv3"]


def test_before_exit_can_schedule_more_work() -> None:
    src = """
    let once = false;
    process.on('beforeExit', () => { if (!once) { once = true; setTimeout(() => console.log('more'), 1); } });
    process.on('exit', () => console.log('exit'));
    """
    assert guest_lines(src) == ["more", "exit"]


def test_stdout_stderr_and_console_routing() -> None:
    src = """
    process.stdout.write('a');
    process.stdout.write(Buffer.from('b\\n'));
    process.stderr.write('e1\\n');
    console.log('%s=%d %j', 'x', 42, { a: 1 });
    console.error('err', { b: [1, 2] });
    console.warn('w'); console.info('i'); console.debug('d');
    console.log(null, undefined, 1n, Symbol('s'));
    """
    r = run_guest(src)
    assert r["stdout"] == 'ab\nx=42 {"a":1}\ni\nd\nnull undefined 1n Symbol(s)\n'
    assert r["stderr"] == "e1\nerr { b: [ 1, 2 ] }\nw\n"


def test_hrtime_and_unsupported_process_apis() -> None:
    src = """
    const t = process.hrtime(); const d = process.hrtime(t);
    console.log(Array.isArray(t), t.length, d.length, typeof process.hrtime.bigint());
    for (const f of ['binding', '_linkedBinding', 'dlopen']) {
      try { process[f]('fs'); } catch (e) { console.log(e.message); }
    }
    """
    assert guest_lines(src) == [
        "true 2 2 bigint",
        "process.binding is not supported in sandbox",
        "process._linkedBinding is not supported in sandbox",
        "process.dlopen is not supported in sandbox",
    ]


def test_process_kill_self_maps_to_exit_codes() -> None:
    assert run_guest("process.kill(process.pid, 'SIGINT')")["exit"] == 130
    assert run_guest("process.kill(process.pid)")["exit"] == 143
    src = "process.on('SIGTERM', () => console.log('trapped')); process.kill(process.pid); console.log('alive');"
    assert guest_lines(src) == ["trapped", "alive"]


def test_timer_budget_from_host_config() -> None:
    src = """
    const ok = [];
    let failed = 0;
    for (let i = 0; i < 10; i++) {
      try { ok.push(setInterval(() => {}, 1000)); } catch (e) { failed++; var code = e.code; }
    }
    console.log(ok.length, failed, code);
    clearInterval(ok.pop());
    setTimeout(() => console.log('slot freed'), 1);
    ok.forEach(clearInterval);
    """
    assert guest_lines(src, config={"max_timers": 5}) == ["5 5 ERR_RESOURCE_BUDGET_EXCEEDED", "slot freed"]
    # without the config field there is no guest-side cap
    assert guest_lines("for (let i = 0; i < 500; i++) setTimeout(() => {}, 1); console.log('ok')") == ["ok"]


def test_only_unrefd_timers_left_ends_the_loop() -> None:
    src = """
    const t = setTimeout(() => console.log('never'), 100); t.unref();
    console.log(__se_tick(0), __se_pending());
    t.ref();
    console.log(__se_tick(0) > 0, __se_pending());
    t.unref();
    """
    assert guest_lines(src) == ["-1 false", "true true"]


def test_stdin_and_readline() -> None:
    src = """
    const readline = require('readline');
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const lines = [];
    rl.question('name? ', (name) => {
      console.log('hi ' + name);
      rl.on('line', (l) => lines.push(l));
      rl.on('close', () => console.log(JSON.stringify(lines)));
    });
    """
    r = run_guest(src, stdin="ann\r\nsecond\nthird")
    assert r["exit"] == 0, r["stderr"]
    assert r["stdout"] == 'name? hi ann\n["second","third"]\n'
    assert ["stdio.read", None] in r["ops"]


def test_readline_async_iteration_and_promises() -> None:
    src = """
    (async () => {
      const rl = require('node:readline').createInterface({ input: process.stdin });
      let n = 0;
      for await (const line of rl) n += Number(line);
      console.log('sum', n);
      const rp = require('readline/promises');
      console.log(typeof rp.createInterface);
    })();
    """
    assert guest_lines(src, stdin="1\n2\n39\n") == ["sum 42", "function"]
