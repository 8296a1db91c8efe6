"""What the guest's ``process`` and ``os`` report: configured by the host, never read from it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from secure_exec.errors import ConfigError


def _frozen_env(value: Mapping[str, str] | None) -> Mapping[str, str]:
    env = dict(value or {})
    for k, v in env.items():
        if not isinstance(k, str) or not isinstance(v, str) or not k or "=" in k or "\x00" in k + v:
            raise ConfigError(f"process env entry {k!r}: names and values must be strings without '=' or NUL")
    return env


def _argv(value: Iterable[str]) -> tuple[str, ...]:
    argv = tuple(value)
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ConfigError("process_config.argv must be a non-empty sequence of strings")
    return argv


@attrs.frozen
class ProcessConfig:
    """The guest's ``process``: argv, cwd, env (served through the env capability), identity."""

    argv: tuple[str, ...] = attrs.field(default=("node", "/entry.js"), converter=_argv)
    cwd: str = "/"
    env: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen_env)
    platform: str = "linux"
    arch: str = "x64"
    version: str = "v20.0.0"
    pid: int = 1
    title: str = "node"

    def __attrs_post_init__(self) -> None:
        if not self.cwd.startswith("/"):
            raise ConfigError(f"process_config.cwd must be an absolute guest path, got {self.cwd!r}")

    def to_guest(self) -> dict[str, Any]:
        return {
            "argv": list(self.argv), "cwd": self.cwd, "platform": self.platform, "arch": self.arch,
            "version": self.version, "versions": {"node": self.version.lstrip("v")}, "pid": self.pid,
            "title": self.title,
        }


@attrs.frozen
class OsConfig:
    """The guest's ``os`` module: a made-up, stable machine, so nothing about the host leaks."""

    hostname: str = "sandbox"
    homedir: str = "/home/user"
    tmpdir: str = "/tmp"  # noqa: S108 - a guest path in the virtual fs, not a host temp dir
    type: str = "Linux"
    release: str = "6.0.0-sandbox"
    cpus: int = 1
    totalmem: int = 1024 * 2**20
    username: str = "user"

    def to_guest(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen
class StdioEvent:
    """One write to the guest's stdout or stderr, delivered to the host's ``on_stdio`` hook."""

    channel: str  # "stdout" | "stderr"
    data: str
