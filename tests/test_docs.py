"""Docs that are executed, and docs that cover the code (modelled on datasette's tests/test_docs.py).

1. Every ```python, ```sh and ```toml block of README.md and docs/*.md runs:
   * python blocks of one file run in order in one namespace (a later block may use an earlier
     block's names), with a scratch folder as the working directory;
   * sh blocks run in bash (``set -euo pipefail``) with the installed ``secure-exec`` on PATH;
   * toml blocks load as what they are: a plugin manifest (``[plugin]``) or a policy file.
   The scratch folder holds what the samples name: ``plugins/`` (this repo's), ``app.js`` and
   ``data/``. A block that is an API signature, not a program, is marked ``python signature``; one
   that sets up or tests the whole project (what CI itself runs) is marked ``sh setup``.
2. Every hook, bridge op, policy op, audit event name, CLI flag and limit in the code appears in
   the docs, and every CLI flag and hook the docs name exists.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = ("python", "sh", "toml")
MARKERS = frozenset({"signature", "setup"})
_FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w+-]*)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                    re.M | re.S)


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    lang: str
    markers: frozenset[str]
    body: str

    @property
    def runs(self) -> bool:
        return self.lang in RUNNABLE and not (self.markers & MARKERS)

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.lang})"


def extract_blocks(text: str, file: str) -> list[Block]:
    """Every fenced code block with its language, markers (words after the language) and line."""
    out = []
    for m in _FENCE.finditer(text):
        markers = frozenset(m.group("info").split())
        unknown = markers - MARKERS
        if unknown:
            raise ValueError(f"{file}:{text.count(chr(10), 0, m.start()) + 1}: unknown block marker(s) "
                             f"{sorted(unknown)}; known: {sorted(MARKERS)}")
        body = "\n".join(line[len(m.group("indent")):] for line in m.group("body").splitlines())
        out.append(Block(file, text.count("\n", 0, m.start()) + 1, m.group("lang"), markers, body + "\n"))
    return out


def doc_blocks() -> list[Block]:
    return [b for f in DOC_FILES for b in extract_blocks(f.read_text("utf-8"), str(f.relative_to(REPO)))]


def make_scratch(path: Path) -> Path:
    """The folder samples run in: the repo's plugins, an app.js that reads ./data, a data folder."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "plugins").symlink_to(REPO / "plugins", target_is_directory=True)
    (path / "data").mkdir()
    (path / "data" / "in.txt").write_text("hello from data\n")
    (path / "app.js").write_text('console.log(require("fs").readFileSync("data/in.txt", "utf8").trim(),'
                                 " process.argv.slice(2).join(' '))\n")
    return path


def run_python(blocks: list[Block], cwd: Path) -> None:
    """Run one file's python blocks in order, in one namespace, with ``cwd`` as working directory."""
    ns: dict[str, object] = {"__name__": "__docs__"}
    old = Path.cwd()
    os.chdir(cwd)
    try:
        for b in blocks:
            try:
                exec(compile(b.body, str(b), "exec"), ns)  # the docs' own samples
            except Exception as e:
                raise AssertionError(f"{b} failed: {type(e).__name__}: {e}") from e
    finally:
        os.chdir(old)


def run_sh(block: Block, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", block.body], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"{block} exited {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r


def check_toml(block: Block, cwd: Path) -> None:
    from secure_exec.host.manifest import MANIFEST_NAME, load_manifest
    from secure_exec.policy.config import policy_from_toml

    try:
        data = tomllib.loads(block.body)
    except tomllib.TOMLDecodeError as e:
        raise AssertionError(f"{block}: invalid TOML: {e}") from e
    try:
        if "plugin" in data:
            folder = cwd / f"manifest-{block.line}"
            folder.mkdir()
            (folder / MANIFEST_NAME).write_text(block.body)
            (folder / str(data["plugin"].get("entry", "main.mjs"))).write_text("export const x = 1;\n")
            load_manifest(folder)
        else:
            path = cwd / f"policy-{block.line}.toml"
            path.write_text(block.body)
            policy_from_toml(path)
    except Exception as e:
        raise AssertionError(f"{block} does not load: {type(e).__name__}: {e}") from e


def _by_file() -> Iterator[tuple[str, list[Block]]]:
    files: dict[str, list[Block]] = {}
    for b in doc_blocks():
        if b.runs:
            files.setdefault(b.file, []).append(b)
    yield from sorted(files.items())


@pytest.mark.parametrize(("file", "blocks"), list(_by_file()), ids=[f for f, _ in _by_file()])
def test_doc_samples_run(file: str, blocks: list[Block], tmp_path: Path) -> None:
    cwd = make_scratch(tmp_path / "scratch")
    run_python([b for b in blocks if b.lang == "python"], cwd)
    for b in blocks:
        if b.lang == "sh":
            run_sh(b, cwd)
        elif b.lang == "toml":
            check_toml(b, cwd)


def test_signature_blocks_still_parse() -> None:
    """A block marked ``python signature`` is not run, but it must be one line or Python-like text."""
    marked = [b for b in doc_blocks() if "signature" in b.markers]
    assert marked, "no block is marked as a signature"
    assert all(b.lang == "python" for b in marked), [str(b) for b in marked if b.lang != "python"]


# -- the extractor itself, failing on purpose -------------------------------------------------------

BROKEN = """# Title

```python
x = 1
```

Some text.

```python
assert x == 2, "the sample drifted"
```

```python signature
def f(a, b) -> int
```
"""


def test_extractor_finds_blocks_and_markers() -> None:
    blocks = extract_blocks(BROKEN, "broken.md")
    assert [(b.line, b.lang, sorted(b.markers), b.runs) for b in blocks] == [
        (3, "python", [], True), (9, "python", [], True), (13, "python", ["signature"], False)]
    with pytest.raises(ValueError, match="unknown block marker"):
        extract_blocks("```python signatur\nx\n```\n", "typo.md")


def test_a_broken_sample_fails(tmp_path: Path) -> None:
    blocks = [b for b in extract_blocks(BROKEN, "broken.md") if b.runs]
    with pytest.raises(AssertionError, match=r"broken.md:9 \(python\) failed: AssertionError: the sample drifted"):
        run_python(blocks, tmp_path)
    with pytest.raises(AssertionError, match="exited 2"):
        run_sh(Block("b.md", 1, "sh", frozenset(), "secure-exec run no-such.js\n"), tmp_path)
    with pytest.raises(AssertionError, match="does not load"):
        check_toml(Block("b.md", 1, "toml", frozenset(), '[[rules]]\ncapability = "fs"\neffect = "alow"\n'), tmp_path)


def test_a_missing_doc_entry_fails() -> None:
    with pytest.raises(AssertionError, match="secure_exec_nonexistent_hook"):
        assert_documented(["secure_exec_nonexistent_hook"], ALL_DOCS_TEXT(), "hook")


# -- coverage: the code's names appear in the docs, and the docs' names exist -----------------------

def ALL_DOCS_TEXT() -> str:
    return "\n".join(f.read_text("utf-8") for f in DOC_FILES)


def assert_documented(names: list[str], text: str, what: str) -> None:
    missing = sorted(n for n in names if not re.search(rf"(?<![\w.-]){re.escape(n)}(?![\w-])", text))
    assert not missing, f"{what} not documented: {missing}"


def test_hooks_documented_and_real() -> None:
    from secure_exec.providers.manager import hook_names

    text = (REPO / "docs" / "providers.md").read_text()
    assert_documented(hook_names(), text, "hook (docs/providers.md)")
    named = set(re.findall(r"\bsecure_exec_[a-z_]+[a-z]\b", ALL_DOCS_TEXT()))
    not_hooks = {"secure_exec_sqlitefs",   # a contrib package name
                 "secure_exec_filesytem"}  # providers.md's example of a misspelt hook that is refused
    assert named - not_hooks <= set(hook_names()), f"docs name hooks that do not exist: {named - set(hook_names())}"


def test_policy_ops_documented() -> None:
    from secure_exec.policy.requests import ENV_OPS, FS_OPS, NET_OPS

    text = (REPO / "docs" / "policy.md").read_text()
    for ops in (FS_OPS, NET_OPS, ENV_OPS):
        assert_documented(sorted(ops), text, "policy op (docs/policy.md)")


def test_bridge_ops_documented() -> None:
    from secure_exec.bridge.dispatch import Dispatcher
    from secure_exec.runtime.ops import register_all
    from secure_exec.runtime.session import Session

    d: Dispatcher[Session] = Dispatcher()
    register_all(d)
    text = (REPO / "docs" / "bridge-ops.md").read_text()
    assert_documented(sorted(d.ops), text, "bridge op (docs/bridge-ops.md)")


def test_audit_events_documented() -> None:
    from secure_exec.audit import schema

    names = {v for k, v in vars(schema).items() if k.isupper() and isinstance(v, str)
             and re.fullmatch(r"[a-z_]+\.[a-z_]+", v)}
    source = "\n".join(p.read_text() for p in (REPO / "secure_exec").rglob("*.py"))
    names |= set(re.findall(r"lifecycle\(\s*\"([a-z_]+\.[a-z_]+)\"", source))
    assert len(names) > 8
    assert_documented(sorted(names), (REPO / "docs" / "audit.md").read_text(), "audit event (docs/audit.md)")


def _cli_flags() -> dict[str, set[str]]:
    """Option strings of every ``secure-exec`` subcommand (audit's are documented in audit.md)."""
    from secure_exec.cli.main import build_parser

    out: dict[str, set[str]] = {}

    def walk(p: argparse.ArgumentParser, path: str) -> None:
        out[path] = {s for a in p._actions for s in a.option_strings if s.startswith("--") and s != "--help"}
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sub in a.choices.items():
                    walk(sub, f"{path} {name}".strip())

    walk(build_parser(), "")
    return out


def test_cli_flags_documented_and_real() -> None:
    flags = _cli_flags()
    cli_md = (REPO / "docs" / "cli.md").read_text()
    audit_md = (REPO / "docs" / "audit.md").read_text()
    for cmd, opts in flags.items():
        assert_documented(sorted(opts), audit_md if cmd.startswith("audit") else cli_md, f"flag of '{cmd}'")
    every = set().union(*flags.values())
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", cli_md))
    assert named <= every, f"docs/cli.md names flags that do not exist: {sorted(named - every)}"


def test_limits_documented() -> None:
    import attrs

    from secure_exec.engine.limits import EngineLimits

    text = (REPO / "docs" / "limits.md").read_text()
    assert_documented([f.name for f in attrs.fields(EngineLimits)], text, "engine limit (docs/limits.md)")
    assert_documented(["--time-limit", "--memory-limit", "time_limit", "memory_limit_mb"], text, "limit option")


def test_exit_codes_documented() -> None:
    from secure_exec.cli.common import EXIT_CODES

    text = (REPO / "docs" / "cli.md").read_text()
    for code in EXIT_CODES:
        assert re.search(rf"\|\s*`?{code}`?\s*\|", text), f"exit code {code} missing from the table in docs/cli.md"
