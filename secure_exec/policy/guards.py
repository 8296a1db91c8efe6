"""Always-on guards: denials that sit above every rule and check, waivable only by name.

They encode escapes that are never what a plugin author meant: host pseudo-filesystems, SSRF to
loopback/private/metadata addresses (on every resolved IP and on IP-literal hosts in any
spelling), environment variables that make a child run code it was not asked to run
(``child.env``), and launchers that run a program chosen by their arguments (``child.launcher``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from secure_exec.errors import ConfigError
from secure_exec.policy.ipaddr import NET_GUARDS
from secure_exec.policy.launchers import env_assignments
from secure_exec.policy.requests import ChildProcessAccessRequest, FsAccessRequest, NetworkAccessRequest

FS_GUARDS = {"fs.proc": "/proc", "fs.sys": "/sys", "fs.dev": "/dev"}
CHILD_GUARDS = frozenset({"child.env", "child.launcher"})
GUARD_NAMES = frozenset(FS_GUARDS) | NET_GUARDS | CHILD_GUARDS

# -- a child's environment ------------------------------------------------------------------------
# Names every child may get (values are the guest's): the safe base. Every other name needs a
# child_process allow rule that writes it out (``env = ["NAME"]``); globs and function checks
# cannot add one (guard ``child.env``).
SAFE_ENV_NAMES = frozenset({"PATH", "HOME", "LANG", "TERM", "TZ"})
SAFE_ENV_PREFIXES = ("LC_",)
# Families that make common tools load or run code named by the variable. A name in these families
# is refused (guard ``child.env``) unless a child_process allow rule names it literally, one by one:
# a glob such as ``GIT_*`` never counts. Compared case-insensitively (refusing ``git_dir`` costs
# nothing; missing a tool that reads its variables case-insensitively would).
CODE_ENV_PREFIXES = (
    "LD_", "DYLD_",                                   # dynamic loader (LD_PRELOAD, LD_AUDIT, ...)
    "GIT_",                                           # GIT_CONFIG_*, GIT_SSH_COMMAND, GIT_EXEC_PATH, ...
    "BASH_FUNC_",                                     # exported bash functions shadow commands
    "PYTHON", "PERL", "RUBY", "GEM_", "BUNDLE_", "JAVA_", "JDK_", "_JAVA_", "NODE_", "NPM_CONFIG_",
    "LUA_", "PHP_", "R_", "TCL", "GCONV_", "MALLOC_", "SSH_", "GPG_", "LESS", "PAGER",
)
CODE_ENV_NAMES = frozenset({
    "BASH_ENV", "ENV", "PS4", "PS1", "PS2", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "IFS", "CDPATH",
    "GLOBIGNORE", "BASH_XTRACEFD", "EXECIGNORE", "FPATH", "ZDOTDIR", "SHELL", "EDITOR", "VISUAL",
    "PAGER", "MANPAGER", "BROWSER", "JAVA_TOOL_OPTIONS", "NODE_OPTIONS", "LOCPATH", "NLSPATH",
    "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN", "OPENSSL_CONF", "OPENSSL_ENGINES", "SSLKEYLOGFILE",
    "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS", "TERMINFO", "TERMINFO_DIRS", "TMUX",
    "CURL_HOME", "WGETRC", "SYSTEMD_PAGER", "SUDO_ASKPASS", "DISPLAY_ASKPASS", "INPUTRC", "MAIL",
    "MAILPATH", "MAILCHECK", "HISTFILE", "TMPDIR", "LS_COLORS", "POSIXLY_CORRECT", "BASH_COMPAT",
    "BASH_LOADABLES_PATH", "COMP_WORDBREAKS", "KRB5_CONFIG", "CC", "CXX", "MAKEFLAGS", "MFLAGS",
    "CARGO_HOME", "RUSTC_WRAPPER", "RUSTFLAGS", "GOFLAGS", "GOPATH", "GOROOT", "PKG_CONFIG_PATH",
})


def is_safe_env(name: str) -> bool:
    """In the safe base every child may get without a rule (``PATH``, ``HOME``, ``LANG``, ``LC_*``, ...)."""
    return name in SAFE_ENV_NAMES or name.startswith(SAFE_ENV_PREFIXES)


def is_code_env(name: str) -> bool:
    """In a family that makes common tools run code (refused unless a rule names it literally)."""
    up = name.upper()
    return up in CODE_ENV_NAMES or up.startswith(CODE_ENV_PREFIXES) or "%" in name


# -- launchers ------------------------------------------------------------------------------------
# Programs that run another program chosen by their arguments (or by their input). The runtime
# resolves the simple ones (``policy.launchers``) to what they really run before asking the
# policy; a request whose executable is still one of these is refused by ``child.launcher``.
LAUNCHERS = frozenset({
    "env", "nice", "nohup", "setsid", "timeout", "stdbuf", "xargs", "ionice", "chrt", "taskset", "flock",
    "sudo", "doas", "su", "runuser", "pkexec", "chroot", "unshare", "nsenter", "setpriv", "setarch",
    "linux32", "linux64", "prlimit", "numactl", "time", "watch", "strace", "ltrace", "gdb", "valgrind",
    "busybox", "toybox", "parallel", "script", "expect", "unbuffer", "firejail", "systemd-run", "sg",
    "newgrp", "catchsegv", "faketime", "fakeroot", "eatmydata", "rlwrap", "entr", "cgexec", "chpst",
    "torify", "torsocks", "proxychains", "proxychains4", "ssh-agent", "dbus-run-session", "xvfb-run",
    "start-stop-daemon", "run-parts", "ld.so", "ld-linux.so.2", "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1", "ld-musl-x86_64.so.1",
})


def launcher_name(command: str) -> str | None:
    """The launcher an executable path is (by its file name), or ``None``."""
    base = command.rsplit("/", 1)[-1]
    return base if base in LAUNCHERS or base.startswith("ld-linux") else None


def validate_waivers(names: Iterable[object], where: str = "waive") -> frozenset[str]:
    """Waivers must name known guards exactly: a typo must not silently keep (or drop) a guard."""
    items = list(names) if not isinstance(names, str) else None
    if items is None or not all(isinstance(n, str) for n in items):
        raise ConfigError(f"{where}: must be a list of guard names")
    bad = sorted(set(map(str, items)) - GUARD_NAMES)
    if bad:
        raise ConfigError(f"{where}: unknown guard(s) {bad}; known: {sorted(GUARD_NAMES)}")
    return frozenset(map(str, items))


_FS_GUARD_RE = re.compile(r"/(proc|sys|dev)(?:/|$)")


def _fs_guard(path: str, waived: frozenset[str]) -> str | None:
    m = _FS_GUARD_RE.match(path)
    if m is None:
        return None
    name = "fs." + m.group(1)
    return None if name in waived else name


_FS_REASONS = {g: f"{root} is a host pseudo-filesystem" for g, root in FS_GUARDS.items()}
GuardHit = tuple[str, str]  # (guard name, reason)


def fs_guard(request: FsAccessRequest, waived: frozenset[str]) -> GuardHit | None:
    g = _fs_guard(request.path, waived)
    if g is None and request.dest is not None:
        g = _fs_guard(request.dest, waived)
    return None if g is None else (g, _FS_REASONS[g])


def _what(guard: str) -> str:
    return guard.split(".", 1)[1].replace("_", "-")


def net_guard(request: NetworkAccessRequest, waived: frozenset[str]) -> GuardHit | None:
    for what, g in request.guard_hits:  # classified once when the request was built
        if g not in waived:
            suffix = " by definition" if what.startswith("host") else ""
            return g, f"{what} is {_what(g)}{suffix}"
    return None


def child_guard(request: ChildProcessAccessRequest, waived: frozenset[str],
                named: frozenset[str] = frozenset()) -> GuardHit | None:
    """``child.env``: a variable in a code-running family that no allow rule of the deciding policy
    names literally (``named``); ``child.launcher``: an executable that runs another program."""
    if "child.env" not in waived:
        # An allow-list, not a list of known-bad names: tools read far more variables as code
        # (TAR_OPTIONS, ZIPOPT, MAKEFILES, PHPRC, RSYNC_RSH, ...) than any list can hold. Only the
        # safe base passes by itself; every other name must be written out by an allow rule.
        for name in request.env:
            if not is_safe_env(name) and name not in named:
                why = "can make the child run other code" if is_code_env(name) else "is not in the safe base"
                return "child.env", (f"environment variable {name} {why}; a child_process allow rule "
                                     "must name it in 'env' (globs and function checks cannot)")
    launcher = launcher_name(request.command)
    if launcher == "env" and "child.env" not in waived:  # `env NAME=... cmd` sets variables through argv
        names = env_assignments(request.args)
        if names is None:
            return "child.env", "cannot tell which variables these env arguments set"
        for name in names:
            if is_code_env(name) and name not in named:
                return "child.env", f"argument {name}=... can make the child run other code"
    if launcher is not None and "child.launcher" not in waived:
        return "child.launcher", (f"{launcher} runs another program chosen by its arguments; "
                                  "spawn that program directly")
    return None


def no_guard(request: object, waived: frozenset[str]) -> GuardHit | None:
    return None


GUARDS_BY_CAPABILITY: dict[str, Callable[[Any, frozenset[str]], GuardHit | None]] = {
    "fs": fs_guard, "network": net_guard, "child_process": child_guard, "env": no_guard,
}


def check_guards(request: object, waived: frozenset[str]) -> GuardHit | None:
    """``(guard_name, reason)`` of the first guard ``request`` trips, or ``None``."""
    fn = GUARDS_BY_CAPABILITY.get(getattr(request, "capability", ""))
    return None if fn is None else fn(request, waived)
