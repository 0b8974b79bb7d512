"""Pruning trajectories: FLOPs targets, monotone shrinking, union rules, files and CLI."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.errors import WorkloadError
from flexsa.workloads.lowering import lower_model, phase_totals
from flexsa.workloads.model import Model
from flexsa.workloads.pruning import (
    load_trajectory,
    make_trajectory,
    pruned_model,
    train_macs,
    width_trajectory,
)
from flexsa.workloads.pruning.checks import union_violations
from flexsa.workloads.pruning.trajectory import TrainCost
from flexsa.workloads.zoo import build_model

TOL = 1e-3


def assert_union_rules(model: Model) -> None:
    assert union_violations(model) == []


def assert_monotone(traj) -> None:
    ratios = [i.train_flops_ratio for i in traj.intervals]
    assert ratios[0] == pytest.approx(1.0)
    assert all(b <= a + 1e-12 for a, b in zip(ratios, ratios[1:], strict=False))
    for prev, cur in zip(traj.intervals, traj.intervals[1:], strict=False):
        assert all(cur.widths[s] <= prev.widths[s] for s in cur.widths)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "inception_v4"])
def test_train_macs_matches_lowering(name: str) -> None:
    model = build_model(name)
    lowered = lower_model(model, 1, depthwise="per-channel")
    assert train_macs(model) == phase_totals(lowered)["all"]
    thin = model.scaled(0.6)
    assert TrainCost(model)(thin.widths) == train_macs(thin)


@pytest.mark.parametrize(("strength", "target"), [("low", 0.48), ("high", 0.25)])
def test_resnet50_final_ratio_and_shape(strength: str, target: float) -> None:
    traj = make_trajectory("resnet50", strength)
    assert len(traj.intervals) == 9
    assert (traj.intervals[-1].epoch_start, traj.intervals[-1].epoch_end) == (80, 90)
    assert traj.final_train_flops_ratio == pytest.approx(target, abs=TOL)
    final = traj.model_at(89)
    assert train_macs(final) / train_macs(build_model("resnet50")) == pytest.approx(
        target, abs=TOL)
    assert target < traj.mean_train_flops_ratio < 1.0
    assert_monotone(traj)
    for epoch in range(0, 90, 10):
        assert_union_rules(traj.model_at(epoch))
    widths = traj.intervals[-1].widths
    # strided 3x3 of each first block kept (nearly) whole
    for stage in (2, 3, 4):
        dense = 64 * 2 ** (stage - 1)
        assert widths[f"layer{stage}.0.conv2"] >= 0.9 * dense
    # first 1x1 of non-first blocks pruned hardest
    first = [widths[f"layer{s}.0.conv1"] / (64 * 2 ** (s - 1)) for s in (1, 2, 3)]
    later = [widths[f"layer{s}.{b}.conv1"] / (64 * 2 ** (s - 1))
             for s, n in ((1, 3), (2, 4), (3, 6)) for b in range(1, n)]
    assert sum(later) / len(later) < sum(first) / len(first)


def test_resnet50_low_known_values() -> None:
    """Golden numbers of the seed-0 low trajectory (regenerate if the model changes)."""
    traj = make_trajectory("resnet50", "low")
    ratios = [round(i.train_flops_ratio, 4) for i in traj.intervals]
    assert ratios == [1.0, 0.7561, 0.6337, 0.5694, 0.5308, 0.5088, 0.4953, 0.4857, 0.48]
    assert round(traj.mean_train_flops_ratio, 4) == 0.6067


def test_seeded_and_deterministic() -> None:
    a = make_trajectory("resnet50", "high", seed=3)
    b = make_trajectory("resnet50", "high", seed=3)
    c = make_trajectory("resnet50", "high", seed=4)
    assert a.as_dict()["intervals"] == b.as_dict()["intervals"]
    assert a.intervals[-1].widths != c.intervals[-1].widths
    assert c.final_train_flops_ratio == pytest.approx(0.25, abs=TOL)


@pytest.mark.parametrize(("strength", "target"), [("low", 0.48), ("high", 0.25), ("0.6", 0.6)])
def test_inception_v4_with_resnet50_statistics(strength: str, target: float) -> None:
    traj = make_trajectory("inception_v4", strength, seed=1)
    assert traj.final_train_flops_ratio == pytest.approx(target, abs=TOL)
    assert_monotone(traj)
    for epoch in (0, 10, 50, 89):
        assert_union_rules(traj.model_at(epoch))
    dense = build_model("inception_v4").widths
    widths = traj.intervals[-1].widths
    # the strided reduction 3x3 convs keep nearly all their channels, like ResNet50's
    assert widths["features.5.conv.conv"] >= 0.9 * dense["features.5.conv.conv"]
    assert sum(widths.values()) < sum(dense[s] for s in widths)


def test_mobilenet_v2_dense_vs_width_075() -> None:
    dense = build_model("mobilenet_v2")
    thin = build_model("mobilenet_v2", width_mult=0.75)
    traj = width_trajectory("mobilenet_v2", 0.75)
    expected = train_macs(thin) / train_macs(dense)
    assert expected == pytest.approx(0.6944, abs=1e-4)
    assert all(i.train_flops_ratio == pytest.approx(expected) for i in traj.intervals)
    assert traj.model_at(45).channel_table() == thin.channel_table()
    assert_union_rules(traj.model_at(0))
    pruned = make_trajectory("mobilenet_v2", "high")
    assert pruned.final_train_flops_ratio == pytest.approx(0.25, abs=TOL)
    for model in pruned.models():
        assert_union_rules(model)


def test_union_check_catches_a_broken_residual_node() -> None:
    from dataclasses import replace

    model = build_model("resnet50")
    layers = tuple(replace(layer, cout=layer.cout - 1) if layer.name == "layer2.1.conv3"
                   else layer for layer in model.layers)
    broken = Model(model.name, layers, model.nodes, model.spaces, model.input_shape)
    problems = union_violations(broken)
    assert any("layer2.1.conv3" in p for p in problems)


def test_full_target_is_dense_and_short_schedules() -> None:
    traj = make_trajectory("resnet50", 1.0, epochs=20, interval=7)
    assert [(i.epoch_start, i.epoch_end) for i in traj.intervals] == [(0, 7), (7, 14), (14, 20)]
    assert all(i.train_flops_ratio == 1.0 for i in traj.intervals)
    single = make_trajectory("resnet50", "low", epochs=10, interval=10)
    assert single.final_train_flops_ratio == pytest.approx(0.48, abs=TOL)


@pytest.mark.parametrize("strength", ["0", "1.5", "-0.2", "nan", "medium"])
def test_bad_strength(strength: str) -> None:
    with pytest.raises(WorkloadError):
        make_trajectory("resnet50", strength)


def test_bad_schedule_and_epoch() -> None:
    with pytest.raises(WorkloadError, match="longer than training"):
        make_trajectory("resnet50", "low", epochs=5, interval=10)
    with pytest.raises(WorkloadError, match="epoch"):
        make_trajectory("resnet50", "low").model_at(91)


def test_file_round_trip(tmp_path) -> None:
    traj = make_trajectory("inception_v4", "high", seed=2)
    path = tmp_path / "traj.json"
    path.write_text(json.dumps(traj.as_dict()))
    back = load_trajectory(path)
    assert [i.widths for i in back.intervals] == [dict(i.widths) for i in traj.intervals]
    assert back.final_train_flops_ratio == pytest.approx(traj.final_train_flops_ratio)
    # a file with only the "layers" form works too
    doc = traj.as_dict()
    for item in doc["intervals"]:
        del item["widths"]
    path.write_text(json.dumps(doc))
    assert load_trajectory(path).model_at(50).channel_table() == traj.model_at(50).channel_table()
    assert pruned_model("inception_v4", str(path), 85).macs == traj.model_at(85).macs
    # a layer that breaks the union rules is rejected with one line
    doc["intervals"][3]["layers"]["features.6.branch0.conv"]["cin"] += 1
    path.write_text(json.dumps(doc))
    with pytest.raises(WorkloadError, match="union rules"):
        load_trajectory(path)


def test_cli_json_shape(cli) -> None:
    result = cli("prune", "trajectory", "--model", "resnet50", "--strength", "high",
                     "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["model"] == "resnet50" and doc["strength"] == "high"
    assert doc["config"]["epochs"] == 90 and "version" in doc
    last = doc["intervals"][-1]
    assert {"epoch_start", "epoch_end", "train_flops_ratio", "layers"} <= set(last)
    assert last["layers"]["fc"]["cout"] == 1000
    assert last["train_flops_ratio"] == pytest.approx(0.25, abs=TOL)


@pytest.mark.parametrize("args", [
    ("--model", "resnet50", "--strength", "1.2"),
    ("--model", "resnet50", "--strength", "low", "--interval", "100"),
    ("--model", "nosuchnet", "--strength", "low"),
    ("--model", "mobilenet_v2", "--width-mult", "1.5"),
])
def test_cli_bad_input_one_line(cli, args: tuple[str, ...]) -> None:
    result = cli("prune", "trajectory", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")


@settings(max_examples=8, deadline=None, derandomize=True)
@given(target=st.floats(min_value=0.05, max_value=1.0), seed=st.integers(0, 1000),
       interval=st.integers(1, 45))
def test_any_target_is_hit_with_union_rules(target: float, seed: int, interval: int) -> None:
    traj = make_trajectory("mobilenet_v2", target, seed=seed, interval=interval)
    assert traj.final_train_flops_ratio == pytest.approx(target, abs=2e-3)
    assert_monotone(traj)
    assert_union_rules(traj.model_at(90))


def test_pruned_model_helper_matches_trajectory() -> None:
    traj = make_trajectory("resnet50", "high")
    assert pruned_model("resnet50", "high", 35).channel_table() == \
        traj.model_at(35).channel_table()
    assert pruned_model("resnet50", "1.0", 35).macs == build_model("resnet50").macs
