"""``--pruning STRENGTH --epoch E`` on ``--model`` runs simulates that interval's model."""

from __future__ import annotations

import json

from flexsa.pipeline import run_spec
from flexsa.pipeline.stages import load_model
from tests.conftest import run_cli


def test_pruned_model_shrinks_over_training() -> None:
    def model(**pruning: object) -> object:
        return load_model(run_spec("1G1F", "resnet50", batch=1, **pruning).workload)

    dense, early, late = model(), model(pruning="high", epoch=0), model(pruning="high",
                                                                         epoch=85)
    assert early.macs == dense.macs
    assert late.macs < 0.5 * dense.macs


def test_simulate_with_pruning_reports_the_channels() -> None:
    result = run_cli("simulate", "--arch", "1G1F", "--model", "resnet50", "--batch", "8",
                     "--pruning", "low", "--epoch", "45", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    workload = payload["config"]["workload"]
    assert workload["pruning"] == "low" and workload["epoch"] == 45
    assert workload["channels"]["layer1.0.conv1"]["cout"] < 64
    dense = json.loads(run_cli("simulate", "--arch", "1G1F", "--model", "resnet50", "--batch",
                               "8", "--json").stdout)
    assert payload["macs"] < dense["macs"]


def test_bad_pruning_requests_are_one_line() -> None:
    for extra in (["--epoch", "200"], ["--epoch", "-1"]):
        result = run_cli("simulate", "--arch", "1G1F", "--model", "resnet50", "--batch", "8",
                         "--pruning", "high", *extra)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("simulate", "--arch", "1G1F", "--gemm", "8,8,8", "--pruning", "high")
    assert result.returncode == 2 and "--model" in result.stderr
