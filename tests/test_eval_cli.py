"""``flexsa reproduce flexsa``: bad input and a reduced end-to-end run."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest


@pytest.mark.parametrize("args, word", [
    (["--models", "resnet51"], "resnet51"),
    (["--configs", "1G1C,2G2C"], "2G2C"),
    (["--memory", "ddr4"], "ddr4"),
    (["--studies", "main,colour"], "colour"),
    (["--jobs", "0"], "--jobs"),
])
def test_bad_filters_one_line_exit_2(cli, tmp_path: Path, args: list[str], word: str) -> None:
    result = cli("reproduce", "flexsa", "--out", str(tmp_path / "o"), *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and word in lines[0]


def test_unwritable_out_dir_exit_2(cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("reproduce", "flexsa", "--out", str(blocker / "results"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--out" in lines[0]


HAVE_SIM = importlib.util.find_spec("flexsa.sim") is not None


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_SIM, reason="needs the simulator (flexsa.sim)")
def test_reduced_reproduction_end_to_end(cli, tmp_path: Path) -> None:
    out = tmp_path / "results"
    args = ("reproduce", "flexsa", "--out", str(out), "--models", "mobilenet_v2",
            "--configs", "1G1C,1G1F", "--memory", "ideal", "--studies", "main", "-q")
    result = cli(*args)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    for run in ("mobilenet_v2_dense", "mobilenet_v2_w075", "average"):
        util = summary["runs"][run]["ideal_pe_utilization"]
        assert 0 < util["1G1C"] <= util["1G1F"] * 1.01 <= 1.01
        shares = summary["runs"][run]["mode_share_waves"]["1G1F"]
        assert sum(shares.values()) == pytest.approx(1.0)
    assert summary["version"] and summary["config"]["settings"]["models"] == ["mobilenet_v2"]
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "figures" / "utilization.svg").exists()
    again = cli(*args)
    assert again.returncode == 0 and "0 runs simulated" in again.stdout


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_SIM, reason="needs the simulator (flexsa.sim)")
def test_ctrl_c_keeps_finished_runs_and_rerun_resumes(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "results"
    args = [sys.executable, "-m", "flexsa", "reproduce", "flexsa", "--out", str(out),
            "--models", "inception_v4", "--configs", "1G1C", "--memory", "ideal",
            "--studies", "main", "--jobs", "2", "-q"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    from flexsa.errors import FlexsaError
    from flexsa.studies.flexsa import stored_count
    from tests.test_resume_sigkill import stored_rows

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:   # rows: the beyond-paper task (no records) may be the first one stored
            if stored_rows(out / "runs.sqlite") >= 2 and stored_count(out) >= 1:
                break
        except FlexsaError:
            pass
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "rerun" in stderr
    saved = list(range(stored_count(out)))
    assert 1 <= len(saved) < 18
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(saved)} reused" in resumed.stdout
    assert stored_count(out) == 18
