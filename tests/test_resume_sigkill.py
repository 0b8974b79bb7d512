"""The reproductions resume through the one store after SIGKILL (the sweep's own SIGKILL
test is in test_sweep.py): kill -9 a run once some tasks are stored, rerun the same command,
and check that ``summary.json`` equals an uninterrupted run's and that no stored task was
computed again (its row, finish time included, is unchanged and no row was added twice).

The reference for ``reproduce flexagon`` is the replay case's stored summary (the same
command, uninterrupted); the others start an uninterrupted run alongside the killed one.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.replay.cases import canonical, stored_path

SRC = str(Path(__file__).parents[1] / "src")


def stored_rows(store: Path) -> int:
    """Tasks committed to a run store so far (0 while it does not exist yet)."""
    return len(row_stamps(store))


def row_stamps(store: Path) -> dict[str, float]:
    """``{task id: finished_at}`` of a store, read-only ({} if unreadable yet)."""
    if not store.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            return dict(conn.execute("SELECT task_id, finished_at FROM tasks").fetchall())
    except sqlite3.Error:
        return {}


def _command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "flexsa", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "200"}


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(_command(args), env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_after(args: list[str], store: Path, stored: int, timeout: float = 120) -> dict:
    """Run ``flexsa ARGS``, SIGKILL it once ``stored`` tasks are in ``store``; the rows then."""
    proc = _start(args)
    deadline = time.monotonic() + timeout
    try:
        while (stored_rows(store) < stored and time.monotonic() < deadline
               and proc.poll() is None):
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    stamps = row_stamps(store)
    assert stamps, "nothing was stored before the kill"
    return stamps


def rerun(args: list[str]) -> None:
    result = subprocess.run(_command(args), env=_env(), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]


def summary(out: Path) -> dict:
    return canonical(json.loads((out / "summary.json").read_text()))


def check_resumed(out: Path, killed: dict[str, float], total: int) -> None:
    """Every task stored once; the ones stored before the kill were not computed again."""
    after = row_stamps(out / "runs.sqlite")
    assert len(after) == total and len(killed) < total
    assert {k: after[k] for k in killed} == killed


def flexsa_args(out: Path) -> list[str]:
    return ["reproduce", "flexsa", "--out", str(out), "--models", "resnet50", "--configs",
            "1G1C", "--memory", "ideal", "--studies", "main", "--jobs", "2", "-q"]


def test_reproduce_flexsa_resumes_after_sigkill(tmp_path: Path) -> None:
    out, ref = tmp_path / "killed", tmp_path / "whole"
    reference = _start(flexsa_args(ref))   # uninterrupted, alongside
    killed = kill_after(flexsa_args(out), out / "runs.sqlite", stored=3)
    rerun(flexsa_args(out))
    assert reference.wait(timeout=600) == 0
    # 19 units (dense + 9 + 9 pruning intervals) and the beyond-paper task
    check_resumed(out, killed, total=20)
    assert summary(out) == summary(ref)


def test_reproduce_flexagon_resumes_after_sigkill(tmp_path: Path) -> None:
    out = tmp_path / "flexagon"
    args = ["reproduce", "flexagon", "--out", str(out), "--quick", "--models", "Alexnet",
            "--models", "DistilBert", "--max-layers", "2", "--no-figures", "-q"]
    killed = kill_after(args, out / "runs.sqlite", stored=1)
    rerun(args)
    check_resumed(out, killed, total=4)
    uninterrupted = json.loads(stored_path("reproduce_flexagon").read_text())["summary"]
    assert summary(out) == uninterrupted


@pytest.mark.slow
def test_reproduce_colcomb_resumes_after_sigkill(tmp_path: Path) -> None:
    def args(out: Path) -> list[str]:
        return ["reproduce", "colcomb", "--out", str(out), "--networks", "lenet5,vgg_shift",
                "--pretrain-epochs", "1", "--epochs", "1", "--prune-steps", "1",
                "--fractions", "1.0", "--seed", "0", "-q"]

    out, ref = tmp_path / "killed", tmp_path / "whole"
    reference = _start(args(ref))
    killed = kill_after(args(out), out / "runs.sqlite", stored=1, timeout=300)
    rerun(args(out))
    assert reference.wait(timeout=600) == 0
    check_resumed(out, killed, total=2)
    assert summary(out) == summary(ref)
    other = subprocess.run(_command([*args(out)[:-3], "--seed", "3", "-q"]), env=_env(),
                           capture_output=True, text=True, timeout=300)
    assert other.returncode == 2 and "other colcomb settings" in other.stderr
    assert other.stderr.strip().count("\n") == 0
