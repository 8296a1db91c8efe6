"""Env provider: only what the host configured, validated and capped."""

from __future__ import annotations

import pytest

from secure_exec.errors import GuestError
from secure_exec.providers import MappingEnvProvider
from secure_exec.providers.protocols import EnvProvider


def test_isolated_from_host_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST_ONLY_SECRET", "x")
    env = MappingEnvProvider({"A": "1"})
    assert isinstance(env, EnvProvider)
    assert env.get("HOST_ONLY_SECRET") is None and env.keys() == ["A"]


def test_copy_on_construction_and_crud() -> None:
    src = {"A": "1"}
    env = MappingEnvProvider(src)
    src["B"] = "leak"
    assert env.get("B") is None
    env.set("C", "3")
    assert env.keys() == ["A", "C"] and env.snapshot() == {"A": "1", "C": "3"}
    env.delete("A")
    env.delete("never-there")
    assert env.keys() == ["C"]


def test_validation_and_caps() -> None:
    env = MappingEnvProvider(max_entries=2, max_bytes=30)
    for bad in ("", "A=B", "NUL\x00"):
        with pytest.raises(GuestError) as ei:
            env.set(bad, "v")
        assert ei.value.code == "ERR_INVALID_ARG_VALUE"
    with pytest.raises(GuestError):
        env.set("K", "v\x00")
    with pytest.raises(GuestError) as ei:
        env.set("K", 5)  # type: ignore[arg-type]
    assert ei.value.code == "ERR_INVALID_ARG_TYPE"
    env.set("A", "1")
    env.set("B", "2")
    with pytest.raises(GuestError) as ei:
        env.set("C", "3")
    assert ei.value.code == "ENOSPC"
    with pytest.raises(GuestError) as ei:
        env.set("A", "x" * 40)
    assert ei.value.code == "ENOSPC" and env.get("A") == "1"
