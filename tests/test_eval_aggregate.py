"""Epoch-weighted averaging and the shape of summary.json (stand-in simulator)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flexsa.report.evaluation.aggregate import average_runs, mean_tree, weighted_totals
from flexsa.report.evaluation.matrix import (
    MAIN_CONFIGS,
    EvalSettings,
    Interval,
    Target,
    Variant,
)
from flexsa.report.evaluation.records import Metrics, make_record
from flexsa.studies.flexsa import reproduce
from tests.eval_fakes import PES, FakeBackend

VARIANT = Variant("resnet50_low", "resnet50", 32, strength="low")


def _record(epochs: tuple[int, int], cycles: int, macs: int, index: int = 0):
    metrics = Metrics(cycles=cycles, macs=macs, pe_utilization=macs / (PES * cycles),
                      total_pes=PES, waves_by_mode={"FW": 3, "ISW": 1},
                      gbuf_to_lbuf_streamed=10 * cycles)
    interval = Interval(epochs[0], epochs[1], index=index)
    return make_record(Target("main", "1G1C", "ideal"), VARIANT, interval, metrics, 0.0)


def test_utilization_weights_intervals_by_epochs() -> None:
    # 10 epochs at 1000 cycles and 80 epochs at 4000 cycles, same MACs per iteration
    records = [_record((0, 10), 1000, PES * 900, 0), _record((10, 90), 4000, PES * 900, 1)]
    totals = weighted_totals(records)
    expected = (10 * 900 + 80 * 900) / (10 * 1000 + 80 * 4000)
    assert totals.pe_utilization == pytest.approx(expected)
    # not the plain mean of the two intervals' utilizations (0.9 and 0.225)
    assert not math.isclose(totals.pe_utilization, (0.9 + 0.225) / 2)
    assert totals.per_iteration("cycles") == pytest.approx((10 * 1000 + 80 * 4000) / 90)
    assert totals.mode_shares("waves") == {"FW": 0.75, "HSW": 0.0, "VSW": 0.0, "ISW": 0.25}


def test_missing_value_in_any_interval_gives_none() -> None:
    records = [_record((0, 10), 1000, 5000, 0), _record((10, 90), 1000, 5000, 1)]
    assert weighted_totals(records).sums["energy_total"] is None


def test_mean_tree_and_average_over_models() -> None:
    assert mean_tree([{"a": 1.0, "b": {"x": 2.0}}, {"a": 3.0, "b": {"x": None}}]) == \
        {"a": 2.0, "b": {"x": 2.0}}
    variants = [Variant("m1_a", "m1", 1), Variant("m1_b", "m1", 1), Variant("m2_a", "m2", 1),
                Variant("m1_dense", "m1", 1, in_average=False)]
    runs = {"m1_a": {"u": 1.0}, "m1_b": {"u": 3.0}, "m2_a": {"u": 10.0}, "m1_dense": {"u": 99}}
    # m1's mean is 2, m2's is 10: the average is 6, not the mean of three runs (4.67)
    assert average_runs(runs, variants) == {"u": 6.0}


@pytest.fixture(scope="module")
def fake_summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("eval") / "out"
    outcome = reproduce(EvalSettings(), out, FakeBackend(), progress=False, write_figures=False)
    return outcome.summary


RUNS = ("resnet50_low", "resnet50_high", "inception_v4_low", "inception_v4_high",
        "mobilenet_v2_dense", "mobilenet_v2_w075", "average")


def test_summary_has_the_issue_shape(fake_summary: dict) -> None:
    assert set(RUNS) <= set(fake_summary["runs"])
    for run in RUNS:
        data = fake_summary["runs"][run]
        for key in ("ideal_pe_utilization", "hbm2_pe_utilization", "hbm2_speedup_vs_1G1C",
                    "gbuf_to_lbuf_traffic_vs_1G1C", "end_to_end_speedup_vs_1G1C"):
            assert set(data[key]) == set(MAIN_CONFIGS), (run, key)
            assert all(isinstance(v, float) for v in data[key].values()), (run, key)
        for config in MAIN_CONFIGS:
            assert {"comp", "lbuf", "gbuf", "dram", "overcore", "total"} <= \
                set(data["energy_vs_1G1C"][config])
        assert set(data["mode_share_waves"]) == {"1G1F", "4G1F"}
        for shares in data["mode_share_waves"].values():
            assert set(shares) == {"FW", "HSW", "VSW", "ISW"}
            assert sum(shares.values()) == pytest.approx(1.0)
    assert set(fake_summary["resnet50_1G1C_ideal_utilization"]) == {"dense", "low", "high"}
    assert set(fake_summary["core_splitting"]) == {"1x128", "4x64", "16x32", "64x16"}
    for cell in fake_summary["core_splitting"].values():
        assert set(cell) == {"pe_utilization", "traffic_vs_1x128"}
    assert set(fake_summary["area_vs_1x128"]) == {"4x64", "16x32", "64x16", "flexsa_4x64"}
    assert fake_summary["tool"] == "flexsa" and "version" in fake_summary
    assert fake_summary["config"]["settings"]["epochs"] == 90


def test_summary_values_follow_the_stand_in(fake_summary: dict) -> None:
    average = fake_summary["runs"]["average"]
    assert average["hbm2_speedup_vs_1G1C"]["1G1C"] == pytest.approx(1.0)
    assert average["gbuf_to_lbuf_traffic_vs_1G1C"]["4G4C"] == pytest.approx(3.0)
    energy = average["energy_vs_1G1C"]["1G1C"]
    parts = sum(energy[k] for k in ("comp", "lbuf", "gbuf", "dram", "overcore", "forwarding"))
    assert parts == pytest.approx(energy["total"]) and energy["total"] == pytest.approx(1.0)
    assert fake_summary["area_vs_1x128"]["64x16"] == pytest.approx(1.4)
    assert fake_summary["core_splitting"]["64x16"]["traffic_vs_1x128"] == pytest.approx(6.0)
    # the stand-in's 1G4C runs at 0.7/0.5 of 1G1C's utilization, so 1.4x faster
    assert average["ideal_speedup_vs_1G1C"]["1G4C"] == pytest.approx(1.4, rel=1e-4)


def test_outputs_written(fake_summary: dict, tmp_path: Path) -> None:
    out = tmp_path / "o"
    reproduce(EvalSettings(models=("mobilenet_v2",), studies=("main",)), out, FakeBackend(),
              progress=False)
    for name in ("summary.json", "runs.csv", "runs.sqlite", "report.html",
                 "figures/utilization.png", "figures/utilization.svg", "figures/energy.svg",
                 "figures/traffic.png", "figures/modes.png"):
        assert (out / name).exists(), name
    html = (out / "report.html").read_text()
    assert "data:image/svg+xml;base64," in html and "Configuration used" in html
    assert 'src="http' not in html and "src='http" not in html
