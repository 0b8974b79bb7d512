"""Alpha plans, the authors' schedule, costing at a resolution, tile vs cycle throughput and
the vgg19_shift network."""

from __future__ import annotations

import numpy as np
import pytest

from flexsa.packing.grouping import PackingError
from flexsa.packing.plans import LAYERS, AlphaPlan, cost_resolution

torch = pytest.importorskip("torch")

from flexsa.packing.joint.costing import Accounting, cost_network, positions_at  # noqa: E402
from flexsa.packing.joint.deploy import dense_packings  # noqa: E402
from flexsa.packing.joint.models import build_network  # noqa: E402
from flexsa.packing.joint.nn import masked_layers  # noqa: E402
from flexsa.packing.joint.train import (  # noqa: E402
    Schedule,
    TrainConfig,
    prune_and_combine,
    prune_rate,
)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_default_plan_combines_every_conv_layer_but_the_first() -> None:
    plan = AlphaPlan().resolve("resnet20", 8)
    assert plan["stem"] == 1 and plan["fc"] == 1  # first layer; FC outside the conv scope
    assert all(plan[layer.name] == 8 for layer in LAYERS["resnet20"][1:-1])
    assert AlphaPlan().resolve("resnet20", 8, "all")["fc"] == 8
    assert AlphaPlan().resolve("lenet5", 4) == {"conv1": 1, "conv2": 4, "fc1": 1, "fc2": 1,
                                                "fc3": 1}


def test_stage_and_list_plans() -> None:
    plan = AlphaPlan.parse("stage:1,4,8").resolve("vgg19_shift", 8)
    assert plan["stem"] == 1 and plan["features.5.conv"] == 1
    assert plan["features.6.conv"] == 4 and plan["features.17.conv"] == 8
    values = list(range(1, 8))
    explicit = AlphaPlan.parse(",".join(map(str, values))).resolve("vgg_shift", 8, "all")
    assert list(explicit.values()) == values
    assert AlphaPlan.parse("stage:2,4,8").label() == "stage:2,4,8"


@pytest.mark.parametrize(("text", "network", "message"), [
    ("1,8,8", "resnet20", "resnet20 has 21 conv layers"),
    ("stage:1,4", "vgg19_shift", "3 stages, got 2"),
    ("1,0,8,8,8,8", "vgg_shift", "alpha must be an integer >= 1, got 0"),
    ("1,x", "vgg_shift", "comma-separated integers"),
])
def test_bad_plans(text: str, network: str, message: str) -> None:
    with pytest.raises(PackingError, match=message):
        AlphaPlan.parse(text).resolve(network, 8)


def test_network_tables_match_the_built_networks() -> None:
    for network, layers in LAYERS.items():
        model = build_network(network, 3 if network != "lenet5" else 1, 10)
        assert [name for name, _ in masked_layers(model)] == [info.name for info in layers]


def test_vgg19_shift_shape() -> None:
    model = build_network("vgg19_shift", 3, 10)
    shapes = {name: layer.filter_matrix().shape for name, layer in masked_layers(model)}
    assert len(shapes) == 20
    assert shapes["stem"] == (128, 3)  # 1x1 stem
    assert all(shapes[f"features.{i}.conv"] == (128, 128) for i in range(6))
    assert shapes["features.6.conv"] == (256, 128) and shapes["features.12.conv"] == (512, 256)
    assert shapes["features.17.conv"] == (512, 512) and shapes["fc"] == (10, 512)
    positions = positions_at(model, "vgg19_shift", 3, 32)
    assert [positions[n] for n in ("stem", "features.5.conv", "features.6.conv",
                                   "features.12.conv", "fc")] == [1024, 1024, 256, 64, 1]


def test_cost_resolution_changes_cycles_not_tiles() -> None:
    model = build_network("resnet20", 3, 10)
    packings = dense_packings(model)
    small = cost_network("resnet20", packings, positions_at(model, "resnet20", 3, 8),
                         Accounting())
    large = cost_network("resnet20", packings, positions_at(model, "resnet20", 3, 32),
                         Accounting())
    assert small["tiles"] == large["tiles"] and large["cycles"] > 5 * small["cycles"]
    assert cost_resolution("resnet20", 0) == 32 and cost_resolution("lenet5", 0) == 28


def test_zero_sized_layer_is_refused() -> None:
    model = build_network("lenet5", 1, 10)
    with pytest.raises(PackingError, match="zero-sized layer in lenet5; use at least 10"):
        positions_at(model, "lenet5", 1, 8)
    with pytest.raises(PackingError, match="at most"):
        cost_resolution("lenet5", 100000)


def test_tile_and_cycle_throughput() -> None:
    model = build_network("resnet20", 3, 10)
    positions = positions_at(model, "resnet20", 3, 32)
    cost = cost_network("resnet20", dense_packings(model), positions, Accounting())
    counted = [row for row in cost["layers"] if row["counted"]]
    assert [row["layer"] for row in cost["layers"] if not row["counted"]] == ["fc"]
    assert cost["tiles"] == sum(row["tiles"] for row in counted)
    assert cost["throughput_tiles"] == pytest.approx(1 / cost["tiles"])
    assert cost["throughput"] == pytest.approx(1e9 / sum(row["cycles"] for row in counted))
    tiles, cycles = cost["stage_shares"]["tiles"], cost["stage_shares"]["cycles"]
    assert sum(tiles) == pytest.approx(1) and sum(cycles) == pytest.approx(1)
    # cycles weight output positions: the 32x32 first stage dominates cycles, the wide
    # third stage dominates tiles
    assert cycles[0] > tiles[0] and tiles[2] > cycles[2] and tiles[2] == max(tiles)
    wide = cost_network("resnet20", dense_packings(model), positions,
                        Accounting(array=Accounting().array.parse("64,64")))
    assert wide["tiles"] < cost["tiles"]


def _one_layer_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_network("vgg_shift", 3, 10, AlphaPlan().resolve("vgg_shift", 8))


@pytest.mark.parametrize("schedule", ["authors", "cumulative"])
def test_schedule_masks_rebuilt_from_stored_weights(schedule: str) -> None:
    config = TrainConfig(gamma=0.5, schedule=schedule, section=0)
    model = _one_layer_model()
    layer = dict(masked_layers(model))["features.6.conv"]  # 256 x 256
    steps = 10
    for step in range(1, steps + 1):
        packings = prune_and_combine(model, prune_rate(step, steps, 1.0), config)
    packing = packings["features.6.conv"]
    assert packing.conflict_pruned > 0
    stored_but_masked = ~packing.mask & (layer.stored_matrix() != 0)
    # authors: conflict-pruned weights keep their stored value (a later step may revive
    # them); cumulative: they are zeroed for good
    assert stored_but_masked.sum() == (packing.conflict_pruned if schedule == "authors" else 0)
    size = layer.filter_matrix().size
    target = size - round(0.8 * (1 - 1 / 8) * size)
    if schedule == "authors":
        # the final step magnitude-prunes the stored weights to exactly the target
        assert packing.nnz_before == target
    else:
        # removed weights never return: the density collapses below the target
        assert packing.nnz_before < 0.8 * target
    assert not np.any(layer.filter_matrix()[~packing.mask])


def test_l1_switched_off_after_the_last_step_only_in_the_authors_schedule() -> None:
    model = _one_layer_model()
    for schedule, after in (("authors", 0.0), ("cumulative", 1e-4)):
        config = TrainConfig(l1=1e-4, schedule=schedule, section=0)
        plan = Schedule([0, 3], config.l1)
        assert plan.before(0, model, config) and plan.l1 == 1e-4
        assert not plan.before(1, model, config)
        assert plan.before(3, model, config) and plan.l1 == after
        assert not plan.before(4, model, config)
