"""``flexsa sparse simulate`` and ``flexsa reproduce flexagon`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from tests.conftest import run_cli


def test_simulate_case_json() -> None:
    from flexsa.sparse.formats import builtin_case_path

    proc = run_cli("sparse", "simulate", "--dataflow", "all", "--case",
                   str(builtin_case_path()), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert {r["dataflow"] for r in payload["results"]} == {"IP_M", "IP_N", "OP_M", "OP_N",
                                                          "Gust_M", "Gust_N"}
    for result in payload["results"]:
        assert result["c_max_abs_error"] == 0.0
        assert result["reference_cycles"] > 0
        assert result["cycles"] == result["multiply_cycles"] + result["merge_cycles"] + \
            result["other_cycles"]
    assert payload["version"] and payload["config"]["hardware"]["n_mult"] == 64


def test_simulate_synthetic_table() -> None:
    proc = run_cli("sparse", "simulate", "-d", "gust_m", "--m", "30", "--n", "20", "--k", "40",
                   "--nnz-a", "200", "--nnz-b", "300", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    assert "Gust_M" in proc.stdout and "ok" in proc.stdout


def test_simulate_matrix_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    a = sp.random(20, 30, density=0.2, random_state=rng, format="csr")
    b = sp.random(30, 10, density=0.3, random_state=rng, format="csr")
    sp.save_npz(tmp_path / "a.npz", a)
    scipy.io.mmwrite(str(tmp_path / "b.mtx"), b)
    proc = run_cli("sparse", "simulate", "-d", "OP_N", "--a", str(tmp_path / "a.npz"),
                   "--b", str(tmp_path / "b.mtx"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["c_max_abs_error"] < 1e-12


def _one_line_error(proc, needle: str) -> None:
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], proc.stderr


def _main_error(capsys, needle: str, *argv: str) -> None:
    """Run the CLI in-process (fast); it must exit 2 with one ``error:`` line."""
    from flexsa.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


def test_bad_inputs_exit_2_subprocess(tmp_path: Path) -> None:
    _one_line_error(run_cli("sparse", "simulate", "-d", "XP_M", "--m", "2", "--n", "2", "--k",
                            "2", "--nnz-a", "1", "--nnz-b", "1"), "unknown dataflow")
    sp.save_npz(tmp_path / "a.npz", sp.random(4, 5, density=0.5, format="csr"))
    sp.save_npz(tmp_path / "b.npz", sp.random(6, 3, density=0.5, format="csr"))
    _one_line_error(run_cli("sparse", "simulate", "-d", "IP_M", "--a", str(tmp_path / "a.npz"),
                            "--b", str(tmp_path / "b.npz")), "inner dimensions")


def test_bad_inputs_exit_2(tmp_path: Path, capsys) -> None:
    base = ("sparse", "simulate", "-d", "IP_M")
    _main_error(capsys, "nnz of A", *base, "--m", "2", "--n", "2", "--k", "2", "--nnz-a", "5",
                "--nnz-b", "1")
    _main_error(capsys, "nnz of B", *base, "--m", "2", "--n", "2", "--k", "2", "--nnz-a", "1",
                "--nnz-b", "9")
    _main_error(capsys, "--nnz-a", *base, "--m", "2", "--n", "0", "--k", "2")
    sp.save_npz(tmp_path / "b.npz", sp.random(6, 3, density=0.5, format="csr"))
    (tmp_path / "bad.mtx").write_text("%%MatrixMarket matrix coordinate real general\n3 3\n")
    _main_error(capsys, "not a valid matrix", *base, "--a", str(tmp_path / "bad.mtx"),
                "--b", str(tmp_path / "b.npz"))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    _main_error(capsys, "not a valid matrix", *base, "--a", str(tmp_path / "bad.npz"),
                "--b", str(tmp_path / "b.npz"))
    _main_error(capsys, "not found", *base, "--a", str(tmp_path / "none.npz"),
                "--b", str(tmp_path / "b.npz"))
    _main_error(capsys, "go together", *base, "--a", str(tmp_path / "b.npz"))
    (tmp_path / "case.json").write_text('{"A": [[1, 2]], "B": [[1], [2], [3]]}')
    _main_error(capsys, "inner dimensions", *base, "--case", str(tmp_path / "case.json"))
    (tmp_path / "broken.json").write_text('{"A": [[1, 2]]')
    _main_error(capsys, "not valid JSON", *base, "--case", str(tmp_path / "broken.json"))
    (tmp_path / "ragged.json").write_text('{"A": [[1, 2], [1]], "B": [[1], [2]]}')
    _main_error(capsys, "rectangular", *base, "--case", str(tmp_path / "ragged.json"))
    _main_error(capsys, "unknown timing profile", *base, "--profile", "fast", "--m", "2")
    _main_error(capsys, "unknown model", "reproduce", "flexagon", "--out",
                str(tmp_path / "o"), "--models", "LeNet")
    _main_error(capsys, "--conversion-cost", "reproduce", "flexagon", "--out",
                str(tmp_path / "o"), "--conversion-cost", "-1")


@pytest.mark.slow
def test_reproduce_quick_subset_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "flex"
    proc = run_cli("reproduce", "flexagon", "--out", str(out), "--models",
                   "MobileBert,SSD-Mobilenets", "--max-layers", "2")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary["models"]) == ["SSD-Mobilenets", "MobileBert"]  # layers-file order
    for entry in summary["models"].values():
        assert set(entry["cycles"]) == {"sigma_like", "sparch_like", "gamma_like", "flexagon"}
        assert set(entry["speedup"]) == {"vs_sigma_like", "vs_sparch_like", "vs_gamma_like"}
        assert all(v >= 1.0 for v in entry["speedup"].values())  # oracle >= every baseline
        assert len(entry["best_dataflow_per_layer"]) == 2
        assert set(entry["best_dataflow_per_layer"]) <= {"IP_M", "OP_M", "Gust_M"}
    assert set(summary["geomean_speedup"]) == {"vs_sigma_like", "vs_sparch_like",
                                               "vs_gamma_like"}
    assert (out / "speedup.png").exists() and (out / "speedup.svg").exists()
    assert summary["config"]["layers_per_model"] == 2
    again = run_cli("reproduce", "flexagon", "--out", str(out), "--models",
                    "MobileBert,SSD-Mobilenets", "--max-layers", "2", "--no-figures")
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "summary.json").read_text())["run"]["simulated_now"] == 0
    clash = run_cli("reproduce", "flexagon", "--out", str(out), "--profile", "ideal")
    assert clash.returncode == 2


def test_save_c_matches_scipy(tmp_path: Path, capsys) -> None:
    from flexsa.cli import main
    from flexsa.sparse.formats import generate_problem

    target = tmp_path / "c.npz"
    with pytest.raises(SystemExit) as done:
        main(["sparse", "simulate", "-d", "OP_N", "--m", "9", "--n", "11", "--k", "13",
              "--nnz-a", "40", "--nnz-b", "60", "--seed", "4", "--save-c", str(target)])
    assert done.value.code == 0
    problem = generate_problem(9, 11, 13, 40, 60, seed=4)
    np.testing.assert_array_equal(sp.load_npz(target).toarray(),
                                  problem.a.toarray() @ problem.b.toarray())
    capsys.readouterr()
