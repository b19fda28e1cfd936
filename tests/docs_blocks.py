"""The shell and Python blocks of the documentation, found and run in order (tests/test_docs.py).

A fenced block whose language is ``bash``/``sh``/``shell`` or ``python``/``py`` is a block to run;
any other fence (``text``, ``yaml``, ``console`` ...) is shown only. HTML comments just before a
block (blank lines between are allowed) steer the test, never the reader:

- ``<!-- skip: WHY -->``: the block cannot run here (the live X API, a GPU, a download); the test
  reports it skipped with WHY.
- ``<!-- docs-test: ACTION ARGS -->``: what happens between two blocks in real life, done by the
  test before the block runs (simulated annotators answering a project); ``tests/test_docs.py``
  defines the actions.

A failing block fails with one message naming the guide, the block (number and line) and the
command that failed, then the tail of what it printed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SHELL = {"bash", "sh", "shell"}
PYTHON = {"python", "py", "python3"}
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARK = re.compile(r"^<!--\s*(?P<kind>skip|docs-test):\s*(?P<text>.*?)\s*-->\s*$")
_FAILED = "docs-block-failed: "
TAIL = 3000


@dataclass
class Block:
    guide: str  # the page, relative to the documentation folder
    number: int  # 1-based, among the page's runnable blocks
    line: int  # line of the opening fence
    language: str  # "bash" or "python"
    code: str
    skip: str | None = None
    actions: list[list[str]] = field(default_factory=list)  # docs-test directives, split like a shell

    @property
    def where(self) -> str:
        return f"{self.guide}, block {self.number} (line {self.line})"


class BlockFailed(AssertionError):
    """A documentation block that did not run as written."""


def blocks(path: Path, name: str) -> list[Block]:
    """The runnable blocks of one Markdown page, in order."""
    found: list[Block] = []
    marks: list[tuple[str, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        text = lines[i]
        mark = _MARK.match(text.strip())
        opening = _FENCE.match(text.strip())
        if mark:
            marks.append((mark["kind"], mark["text"]))
        elif opening:
            end = _closing(lines, i, opening["fence"])
            language = _language(opening["lang"])
            if language:
                found.append(_block(name, len(found) + 1, i + 1, language, lines[i + 1 : end], marks))
            marks = []
            i = end
        elif text.strip():
            marks = []  # a mark steers only the block right after it
        i += 1
    return found


def _closing(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        if lines[j].strip().startswith(fence) and not lines[j].strip()[len(fence) :].strip():
            return j
    raise ValueError(f"unclosed code fence at line {start + 1}")


def _language(tag: str) -> str | None:
    tag = tag.lower()
    return "bash" if tag in SHELL else "python" if tag in PYTHON else None


def _block(name, number, line, language, body, marks) -> Block:
    skip = next((text for kind, text in marks if kind == "skip"), None)
    actions = [shlex.split(text) for kind, text in marks if kind == "docs-test"]
    return Block(name, number, line, language, "\n".join(body) + "\n", skip, actions)


def run(block: Block, cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run one block in ``cwd``; its output, or :class:`BlockFailed` naming where and what."""
    if block.language == "bash":
        # errexit with an ERR trap that names the command (errtrace: inside functions and $(...) too)
        script = f"set -eEuo pipefail\ntrap 'echo \"{_FAILED}$BASH_COMMAND\" >&2' ERR\n" + block.code
        command = ["bash", "-c", script]
    else:
        script_path = cwd / f".docs-block-{block.number}.py"
        script_path.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(script_path)]
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BlockFailed(f"{block.where}: did not finish in {timeout:.0f} s:\n{block.code}") from None
    if done.returncode != 0:
        failed, detail = _failed_command(block, done.stderr)
        output = (done.stdout + done.stderr)[-TAIL:]
        raise BlockFailed(
            f"{block.where}: `{failed}` failed (exit {done.returncode}){detail}\n--- output ---\n{output}"
        )
    return done.stdout + done.stderr


def _failed_command(block: Block, stderr: str) -> tuple[str, str]:
    """The command that failed, and for Python its line in the page and the error."""
    if block.language == "bash":
        named = [ln[len(_FAILED) :] for ln in stderr.splitlines() if ln.startswith(_FAILED)]
        if named:
            return named[0], ""  # the innermost command reports first
    else:
        lines = re.findall(rf'File ".*\.docs-block-{block.number}\.py", line (\d+)', stderr)
        code = block.code.splitlines()
        if lines and int(lines[-1]) <= len(code):
            number = int(lines[-1])
            return code[number - 1].strip(), f" at line {block.line + number}: {_last_line(stderr)}"
    return block.code.strip().splitlines()[0], ""


def _last_line(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def environment(work: Path, extra: dict[str, str]) -> dict[str, str]:
    """The shell a reader has after ``source .venv/bin/activate``, offline, state kept in ``work``."""
    env = dict(os.environ)
    env.update(extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["EMPATHYKIT_DIR"] = str(work / ".empathykit")
    env.update(
        {
            "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_HOME": str(work / ".hf"),
            "TOKENIZERS_PARALLELISM": "false",
            "COLUMNS": "120",
        }
    )
    return env
