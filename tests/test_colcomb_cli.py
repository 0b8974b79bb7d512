"""``flexsa colcomb train`` and ``flexsa reproduce colcomb`` from the command line."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")


@pytest.mark.slow
def test_colcomb_train_json(cli, tmp_path) -> None:
    out = tmp_path / "run.json"
    result = cli("colcomb", "train", "--model", "lenet5", "--pretrain-epochs", "1",
                 "--epochs", "2", "--prune-steps", "3", "--fraction", "0.3", "--layers", "all",
                 "--compare-scratch", "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert json.loads(out.read_text()) == data
    packed, base = data["packed"], data["baseline_pretrained"]
    assert packed["tiles"] < base["tiles"] and packed["utilization"] > 0.3
    assert packed["energy_per_sample"] < base["energy_per_sample"]
    assert 0 <= data["scratch_accuracy"] <= 1 and 0 <= packed["accuracy"] <= 1
    layers = {row["layer"]: row for row in packed["layers"]}
    assert layers["conv1"]["alpha"] == 1 and layers["fc1"]["alpha"] == 8
    assert layers["conv1"]["positions"] == 784  # costed at the paper's 28x28
    assert data["config"]["train"]["gamma"] == 0.5
    assert set(data["provenance"]) >= {"seconds", "version"}


@pytest.mark.slow
def test_reproduce_colcomb_quick(cli, tmp_path) -> None:
    """A small end-to-end run: two networks, short training, the authors' schedule, a
    per-stage plan and costing at the paper's resolutions."""
    result = cli("reproduce", "colcomb", "--out", str(tmp_path), "--networks",
                 "lenet5,resnet20", "--pretrain-epochs", "1", "--epochs", "2",
                 "--prune-steps", "4", "--fractions", "0.2", "--alphas", "stage:1,4,8")
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["provenance"]) >= {"wall_seconds", "cpu_seconds", "date", "version"}
    assert summary["config"]["alpha_plan"] == "stage:1,4,8"
    for net in ("lenet5", "resnet20"):
        configs = summary["networks"][net]
        assert set(configs) == {"baseline", "combine", "combine_prune"}
        for values in configs.values():
            assert set(values) == {"utilization", "utilization_unpacked", "tiles",
                                   "throughput", "throughput_tiles", "energy_per_sample",
                                   "accuracy"}
        assert configs["baseline"]["utilization"] == pytest.approx(1.0)
        assert configs["combine_prune"]["tiles"] < configs["baseline"]["tiles"]
        ratio = summary["ratios_vs_baseline"][net]["combine_prune"]
        assert ratio["throughput_tiles_x"] == pytest.approx(ratio["tiles_reduction_x"])
        assert ratio["throughput_x"] > 1 and ratio["packing_utilization_x"] > 1
    details = summary["details"]["resnet20"]
    assert details["cost_resolution"] == 32 and details["input_shape"] == [3, 8, 8]
    assert details["alphas"]["blocks.0.conv1"] == 1 and details["alphas"]["blocks.8.conv2"] == 8
    stem = details["configs"]["baseline"]["layers"][0]
    assert stem["layer"] == "stem" and stem["positions"] == 1024
    assert [r["alpha"] for r in summary["sweeps"]["lenet5"]["alpha"]] == [1, 2, 4, 8, 16]
    assert [r["fraction"] for r in summary["retrain_fraction"]["lenet5"]] == [0.2]
    for name in summary["figures"]:
        assert (tmp_path / name).stat().st_size > 1000


@pytest.mark.parametrize("args", [
    ["colcomb", "train", "--alpha", "0"],
    ["colcomb", "train", "--gamma", "-0.5"],
    ["colcomb", "train", "--array", "4"],
    ["colcomb", "train", "--data", "mnist"],
    ["colcomb", "train", "--model", "alexnet"],
    ["reproduce", "colcomb", "--out", "/tmp/unused-colcomb", "--networks", "alexnet"],
    ["colcomb", "train", "--model", "resnet20", "--alphas", "1,8,8"],
    ["colcomb", "train", "--alphas", "stage:1,0,8"],
    ["reproduce", "colcomb", "--out", "/tmp/unused-colcomb", "--alphas", "stage:1,4"],
    ["colcomb", "train", "--cost-resolution", "-3"],
    ["colcomb", "train", "--model", "lenet5", "--cost-resolution", "6"],
    ["colcomb", "train", "--schedule", "sometimes"],
    ["colcomb", "train", "--layers", "fc"],
])
def test_bad_input_one_line_exit_2(cli, args) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1


def test_colcomb_train_on_local_mnist_directory(cli, tmp_path) -> None:
    import gzip

    import numpy as np

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 16), ("t10k", 8)):
        for kind, magic, shape in (("images-idx3", 0x803, (n, 28, 28)),
                                   ("labels-idx1", 0x801, (n,))):
            values = rng.integers(0, 10 if kind.startswith("labels") else 256, shape)
            header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
            with gzip.open(tmp_path / f"{prefix}-{kind}-ubyte.gz", "wb") as handle:
                handle.write(header + values.astype(np.uint8).tobytes())
    result = cli("colcomb", "train", "--data", "mnist", "--data-dir", str(tmp_path),
                 "--pretrain-epochs", "1", "--epochs", "1", "--prune-steps", "2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["train_samples"], data["test_samples"]) == (16, 8)
    assert data["packed"]["tiles"] < data["baseline_pretrained"]["tiles"]
