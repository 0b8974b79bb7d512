"""PruneTrain for torch: channel graph, group lasso, reconfiguration surgery, export."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from flexsa.errors import WorkloadError  # noqa: E402
from flexsa.workloads.pruning.digits import SmallResNet  # noqa: E402
from flexsa.workloads.pruning.flops import train_macs  # noqa: E402
from flexsa.workloads.pruning.prunetrain import (  # noqa: E402
    PruneTrain,
    PruneTrainConfig,
    group_lasso,
    lasso_layers,
)
from flexsa.workloads.pruning.torch_graph import UnsupportedModelError, analyze, trace  # noqa: E402

SHAPE = (1, 12, 12)


def make(model: nn.Module, shape: tuple[int, int, int] = SHAPE, **knobs: float) -> PruneTrain:
    torch.manual_seed(0)
    return PruneTrain(model, shape, PruneTrainConfig(epochs=2, interval=1, **knobs))


def tiny_resnet() -> nn.Module:
    torch.manual_seed(0)
    return SmallResNet(stem=8, planes=(4, 8), blocks=2)


def conv_shapes(gm: nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(m.weight.shape) for name, m in gm.named_modules()
            if isinstance(m, nn.Conv2d | nn.Linear)}


def outputs(trainer: PruneTrain, x: torch.Tensor) -> torch.Tensor:
    trainer.gm.eval()
    with torch.no_grad():
        return trainer.gm(x)


@torch.no_grad()
def kill(trainer: PruneTrain, target: str, dim: int, channels: list[int]) -> None:
    weight = trainer.gm.get_submodule(target).weight
    (weight if dim == 0 else weight.transpose(0, 1))[channels] = 0.0


def test_channel_graph_and_export() -> None:
    trainer = make(tiny_resnet())
    graph = trainer.graph
    assert len(graph.residual_spaces()) == 2           # one residual node per stage
    model = trainer.dense
    table = model.channel_table()
    for name, shape in conv_shapes(trainer.gm).items():
        cout, cin = shape[0], shape[1]
        assert table[name] == {"cin": cin, "cout": cout}, name
    assert len(model.residual_spaces()) == 2
    assert model.node("layer1.1.conv2").block != ""  # inside a removable branch
    assert model.node("conv1").block == ""
    assert train_macs(model) > 3 * model.macs - model.layer("conv1").macs - 1


def test_lasso_exclusions_and_penalty_ratio() -> None:
    trainer = make(tiny_resnet(), penalty_ratio=0.3)
    layers = {layer.target: layer for layer in lasso_layers(trainer.graph)}
    assert layers["conv1"].input_groups is False and layers["conv1"].output_groups
    assert layers["fc"].output_groups is False and layers["fc"].input_groups
    assert layers["layer1.0.conv2"].input_groups and layers["layer1.0.conv2"].output_groups
    x, y = torch.randn(16, *SHAPE), torch.randint(0, 10, (16,))
    trainer.gm.train()
    ce0 = nn.functional.cross_entropy(trainer.gm(x), y).item()
    gl0 = group_lasso(trainer.gm, trainer.layers).item()
    trainer.step(x, y)
    lam = trainer.penalty_lambda
    assert lam is not None and lam * gl0 / (ce0 + lam * gl0) == pytest.approx(0.3, rel=1e-4)
    trainer.step(x, y)
    assert trainer.penalty_lambda == lam                 # fixed after the first iteration


def test_branch_union_rule_and_function_preserved() -> None:
    trainer = make(tiny_resnet())
    x = torch.randn(4, *SHAPE)
    # channels 0, 1 of layer1.0.conv1's output: dead in the producer, channel 1 still read
    kill(trainer, "layer1.0.conv1", 0, [0, 1])
    kill(trainer, "layer1.0.conv2", 1, [0])
    before = outputs(trainer, x)
    trainer.reconfigure()
    shapes = conv_shapes(trainer.gm)
    assert shapes["layer1.0.conv1"][0] == 3 and shapes["layer1.0.conv2"][1] == 3
    assert trainer.gm.get_submodule("layer1.0.bn1").num_features == 3
    assert trainer.gm.get_submodule("layer1.0.bn1").running_mean.shape == (3,)
    assert torch.allclose(outputs(trainer, x), before, atol=1e-5)


def test_residual_node_union_rule() -> None:
    trainer = make(tiny_resnet())
    x = torch.randn(4, *SHAPE)
    writers = ["layer1.0.conv3", "layer1.0.downsample.0", "layer1.1.conv3"]
    readers = ["layer1.1.conv1", "layer2.0.conv1", "layer2.0.downsample.0"]
    for name in writers:
        kill(trainer, name, 0, [5])
    for name in readers[:-1]:
        kill(trainer, name, 1, [5])
    trainer.reconfigure()                            # one reader still uses channel 5
    assert conv_shapes(trainer.gm)["layer1.0.conv3"][0] == 16
    kill(trainer, readers[-1], 1, [5])
    before = outputs(trainer, x)
    trainer.reconfigure()
    shapes = conv_shapes(trainer.gm)
    assert {shapes[w][0] for w in writers} == {15}
    assert {shapes[r][1] for r in readers} == {15}
    assert torch.allclose(outputs(trainer, x), before, atol=1e-5)
    model = trainer.export()
    assert model.widths[model.node("layer1.0.conv3").output] == 15


def test_empty_branch_removes_block_and_main_path_keeps_a_channel() -> None:
    trainer = make(tiny_resnet())
    kill(trainer, "layer2.1.conv2", 0, list(range(8)))
    kill(trainer, "layer2.1.conv3", 1, list(range(8)))
    kill(trainer, "conv1", 0, list(range(8)))         # the stem: on the main path
    for reader in ("layer1.0.conv1", "layer1.0.downsample.0"):
        kill(trainer, reader, 1, list(range(8)))
    removed = trainer.reconfigure()
    assert len(removed) == 1
    names = {name for name, m in trainer.gm.named_modules()
             if isinstance(m, nn.Conv2d | nn.BatchNorm2d)}
    assert not any(name.startswith("layer2.1.") for name in names)   # its ReLU stays
    assert conv_shapes(trainer.gm)["conv1"][0] == 1
    model = trainer.export()
    assert not any(layer.name.startswith("layer2.1.") for layer in model.gemm_layers)
    assert trainer.gm(torch.randn(2, *SHAPE)).shape == (2, 10)
    trainer.step(torch.randn(8, *SHAPE), torch.randint(0, 10, (8,)))  # still trains


def test_optimizer_momentum_is_rebuilt() -> None:
    trainer = make(tiny_resnet())
    x, y = torch.randn(8, *SHAPE), torch.randint(0, 10, (8,))
    trainer.step(x, y)
    trainer.step(x, y)
    old_buffer = trainer.optimizer.state[trainer.gm.get_submodule("layer1.0.conv1").weight][
        "momentum_buffer"].clone()
    kill(trainer, "layer1.0.conv1", 0, [2])
    kill(trainer, "layer1.0.conv2", 1, [2])
    trainer.reconfigure()
    params = list(trainer.gm.parameters())
    in_optimizer = [p for g in trainer.optimizer.param_groups for p in g["params"]]
    assert {id(p) for p in params} == {id(p) for p in in_optimizer}
    for param in params:
        state = trainer.optimizer.state.get(param)
        if state:
            assert state["momentum_buffer"].shape == param.shape
    new_buffer = trainer.optimizer.state[trainer.gm.get_submodule("layer1.0.conv1").weight][
        "momentum_buffer"]
    assert torch.equal(new_buffer, old_buffer[[0, 1, 3]])
    trainer.step(x, y)


class DepthwiseNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn0 = nn.BatchNorm2d(8)
        self.expand = nn.Conv2d(8, 16, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.dw = nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.project = nn.Conv2d(16, 8, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(8)
        self.head = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.relu6(self.bn0(self.stem(x)))
        y = nn.functional.relu6(self.bn1(self.expand(x)))
        y = nn.functional.relu6(self.bn2(self.dw(y)))
        x = x + self.bn3(self.project(y))
        return self.head(x.mean((2, 3)))


class ConcatNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 6, 3, padding=1)
        self.c = nn.Conv2d(10, 7, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(7, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([torch.relu(self.a(x)), torch.relu(self.b(x))], dim=1)
        return self.fc(torch.flatten(self.pool(torch.relu(self.c(y))), 1))


def test_depthwise_coupling() -> None:
    trainer = make(DepthwiseNet(), (3, 16, 16))
    assert "dw" not in {layer.target for layer in trainer.layers}
    x = torch.randn(2, 3, 16, 16)
    kill(trainer, "expand", 0, [3, 4])
    kill(trainer, "project", 1, [3, 4])
    before = outputs(trainer, x)
    trainer.reconfigure()
    dw = trainer.gm.get_submodule("dw")
    assert dw.in_channels == dw.out_channels == dw.groups == 14
    assert torch.allclose(outputs(trainer, x), before, atol=1e-5)
    model = trainer.export()
    assert model.layer("dw").groups == 14 and model.depthwise_layers() == ["dw"]


def test_concatenation() -> None:
    trainer = make(ConcatNet(), (3, 8, 8))
    x = torch.randn(2, 3, 8, 8)
    kill(trainer, "b", 0, [0, 5])
    kill(trainer, "c", 1, [4, 9])                   # b's channels sit at offset 4 in c's input
    with torch.no_grad():
        trainer.gm.get_submodule("b").bias[[0, 5]] = 0.0
    before = outputs(trainer, x)
    trainer.reconfigure()
    shapes = conv_shapes(trainer.gm)
    assert shapes["b"][0] == 4 and shapes["c"][1] == 8
    assert torch.allclose(outputs(trainer, x), before, atol=1e-5)
    assert trainer.export().channel_table()["c"] == {"cin": 8, "cout": 7}


class WithLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.rnn = nn.LSTM(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(self.conv(x).flatten(2).permute(2, 0, 1))[0]


class WithUpsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.up = nn.Upsample(scale_factor=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.conv(x))


class Untraceable(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.conv(x)
        return x


@pytest.mark.parametrize(("model", "match"), [
    (WithUpsample, "module Upsample"),
    (WithLSTM, "cannot handle"),
    (Untraceable, "torch.fx cannot trace"),
])
def test_unsupported_models_fail_with_one_line(model: type[nn.Module], match: str) -> None:
    with pytest.raises(UnsupportedModelError, match=match) as info:
        analyze(trace(model()), SHAPE)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, WorkloadError)


@pytest.mark.parametrize("knobs", [dict(epochs=3, interval=4), dict(epochs=4, interval=2,
                                   penalty_ratio=1.0)])
def test_bad_config(knobs: dict[str, float]) -> None:
    with pytest.raises(WorkloadError):
        PruneTrainConfig(**knobs)  # type: ignore[arg-type]


class OneConvResidual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = x + self.conv(x)
        return self.fc(x.mean((2, 3)))


def test_one_conv_residual_branch_is_rejected() -> None:
    with pytest.raises(UnsupportedModelError, match="same residual node"):
        make(OneConvResidual())
