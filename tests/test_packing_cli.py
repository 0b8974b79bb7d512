"""``flexsa pack``: JSON shape, --out archive, bad input exits 2 with one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

WORKED = np.array([[1, 0, -5, 2], [0, 3, 0, 0], [4, 0, 0, 0], [0, -2, 1, 0]], dtype=float)


def test_pack_json_worked_example(cli, tmp_path) -> None:
    path = tmp_path / "w.npy"
    np.save(path, WORKED)
    out = tmp_path / "packed.npz"
    result = cli("pack", "--weights", str(path), "--alpha", "4", "--gamma", "0.25",
                 "--array", "2,2", "--json", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["groups"] == [[0, 1, 3], [2]]
    assert (data["rows"], data["cols"], data["packed_cols"]) == (4, 4, 2)
    assert data["dropped_zero_columns"] == []
    assert data["utilization_before"] == pytest.approx(7 / 16)
    assert data["utilization_after"] == pytest.approx(0.75)
    assert data["conflict_pruned_fraction"] == pytest.approx(1 / 7)
    assert (data["tiles_before"], data["tiles_after"]) == (4, 2)
    assert data["config"]["alpha"] == 4 and "version" in data
    archive = np.load(out)
    np.testing.assert_array_equal(archive["packed"], [[2, -5], [3, 0], [4, 0], [-2, 1]])
    np.testing.assert_array_equal(archive["control"], [[2, 0], [1, 0], [0, 0], [1, 0]])


def test_pack_random_and_sparse_npz(cli, tmp_path) -> None:
    result = cli("pack", "--random", "64,300,0.1", "--alpha", "8", "--gamma", "0.5",
                 "--seed", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cols"] == 300 and data["packed_cols"] < 300
    path = tmp_path / "s.npz"
    sp.save_npz(path, sp.csr_matrix(WORKED))
    result = cli("pack", "--weights", str(path), "--alpha", "4", "--gamma", "0.25", "--json")
    assert json.loads(result.stdout)["groups"] == [[0, 1, 3], [2]]


def _bad_files(tmp_path):
    np.save(tmp_path / "three.npy", np.ones((2, 2, 2)))
    np.save(tmp_path / "text.npy", np.array([["a", "b"]]))
    np.save(tmp_path / "empty.npy", np.zeros((0, 4)))
    (tmp_path / "junk.npy").write_text("not numpy")
    return {"three": tmp_path / "three.npy", "text": tmp_path / "text.npy",
            "empty": tmp_path / "empty.npy", "junk": tmp_path / "junk.npy",
            "missing": tmp_path / "missing.npy"}


@pytest.mark.parametrize("case", ["three", "text", "empty", "junk", "missing", "alpha",
                                  "gamma", "random", "array", "none"])
def test_pack_bad_input_one_line_exit_2(cli, tmp_path, case: str) -> None:
    files = _bad_files(tmp_path)
    args = {"alpha": ["--random", "4,4,0.5", "--alpha", "0"],
            "gamma": ["--random", "4,4,0.5", "--gamma", "-1"],
            "random": ["--random", "4,4"],
            "array": ["--random", "4,4,0.5", "--array", "0,4"],
            "none": []}.get(case, ["--weights", str(files.get(case, ""))])
    result = cli("pack", *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
