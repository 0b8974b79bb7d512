"""Network layer tables, alpha plans and costing resolutions (numpy-free, torch-free).

The command line validates ``--alphas``, ``--layers`` and ``--cost-resolution`` against
these tables before it imports torch; :mod:`flexsa.packing.joint.models` builds the
networks and a test checks that the masked layers it builds are exactly the ones listed
here, in order.

**Alpha plans** (spec section 4). ``default``: ``alpha`` on every planned layer except the
network's first layer, whose few input channels leave nothing to pack (the authors'
single-alpha runs). ``stage:A,B,C``: one alpha per stage (the authors' per-stage VGG run
used ``stage:1,4,8``); the first layer stays at 1 here too. An explicit list ``A,B,...``
gives one alpha per planned layer, in network order, the first layer included. *Planned*
layers are the convolution layers (``--layers conv``, the authors' default: their code
prunes and counts convolution layers only) or every masked layer (``--layers all``).
Layers outside the plan keep alpha 1 and stay dense.
"""

from __future__ import annotations

from dataclasses import dataclass

from flexsa.packing.grouping import PackingError
from flexsa.validation import non_negative, positive

NETWORKS = ("lenet5", "vgg_shift", "vgg19_shift", "resnet20")
DATASETS = ("digits", "mnist", "cifar10")
SCOPES = ("conv", "all")
ROW_MODES = ("nonzero", "all")
SCHEDULES = ("authors", "cumulative")
MAX_COST_RESOLUTION = 1024

# The resolution the paper costs each network at: MNIST's 28x28 for LeNet-5, CIFAR-10's
# 32x32 for the others (spec section 6).
PAPER_RESOLUTION = {"lenet5": 28, "vgg_shift": 32, "vgg19_shift": 32, "resnet20": 32}


@dataclass(frozen=True)
class LayerInfo:
    """One masked layer: its module name, ``conv`` or ``linear``, and its stage (0, 1, 2:
    the network's resolution stages; the classifier belongs to the last)."""

    name: str
    kind: str
    stage: int


def _vgg19_shift() -> tuple[LayerInfo, ...]:
    convs = [LayerInfo(f"features.{i}.conv", "conv", i // 6) for i in range(18)]
    return (LayerInfo("stem", "conv", 0), *convs, LayerInfo("fc", "linear", 2))


def _resnet20() -> tuple[LayerInfo, ...]:
    layers = [LayerInfo("stem", "conv", 0)]
    for block in range(9):
        stage = block // 3
        layers += [LayerInfo(f"blocks.{block}.conv1", "conv", stage),
                   LayerInfo(f"blocks.{block}.conv2", "conv", stage)]
        if block in (3, 6):
            layers.append(LayerInfo(f"blocks.{block}.downsample.0", "conv", stage))
    return (*layers, LayerInfo("fc", "linear", 2))


LAYERS: dict[str, tuple[LayerInfo, ...]] = {
    "lenet5": (LayerInfo("conv1", "conv", 0), LayerInfo("conv2", "conv", 1),
               LayerInfo("fc1", "linear", 2), LayerInfo("fc2", "linear", 2),
               LayerInfo("fc3", "linear", 2)),
    "vgg_shift": (LayerInfo("stem", "conv", 0), LayerInfo("features.0.conv", "conv", 0),
                  LayerInfo("features.2.conv", "conv", 1),
                  LayerInfo("features.3.conv", "conv", 1),
                  LayerInfo("features.5.conv", "conv", 2),
                  LayerInfo("features.6.conv", "conv", 2), LayerInfo("fc", "linear", 2)),
    "vgg19_shift": _vgg19_shift(),
    "resnet20": _resnet20(),
}


def check_network(name: str, option: str = "--model") -> str:
    if name not in NETWORKS:
        raise PackingError(f"{option}: unknown network {name!r}; choose from "
                           f"{', '.join(NETWORKS)}")
    return name


def check_data(name: str, data_dir: str) -> str:
    if name not in DATASETS:
        raise PackingError(f"--data must be one of {', '.join(DATASETS)}, got {name!r}")
    if name != "digits" and not data_dir:
        raise PackingError(f"--data {name} needs --data-dir DIR with the local files "
                           "(nothing is downloaded); or use --data digits")
    return name


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise PackingError(f"{option} must be one of {', '.join(choices)}, got {value!r}")
    return value


def in_scope(layer: LayerInfo, scope: str) -> bool:
    """Whether ``layer`` is pruned, combined and counted under ``--layers scope``."""
    return scope == "all" or layer.kind == "conv"


def cost_resolution(network: str, resolution: int) -> int:
    """The resolution to cost ``network`` at: ``resolution``, or the paper's if 0."""
    non_negative(resolution, "--cost-resolution (0: the paper's)", error=PackingError,
                 strict=True)
    if resolution > MAX_COST_RESOLUTION:
        raise PackingError(f"--cost-resolution {resolution} is absurd for these networks; "
                           f"give at most {MAX_COST_RESOLUTION}")
    return resolution or PAPER_RESOLUTION[network]


@dataclass(frozen=True)
class AlphaPlan:
    """How alphas are assigned: ``kind`` is ``default`` (``values`` unused), ``stage``
    (one alpha per stage) or ``list`` (one per planned layer)."""

    kind: str = "default"
    values: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> AlphaPlan:
        """``""`` (default), ``"stage:1,4,8"`` or ``"1,8,8,..."``."""
        text = text.strip()
        if not text:
            return cls()
        kind, body = ("stage", text[6:]) if text.startswith("stage:") else ("list", text)
        try:
            values = tuple(int(v) for v in body.split(","))
        except ValueError:
            raise PackingError(f"--alphas must be comma-separated integers or stage:A,B,C, "
                               f"got {text!r}") from None
        for value in values:
            positive(value, "--alphas: every alpha", error=PackingError)
        return cls(kind, values)

    def resolve(self, network: str, alpha: int, scope: str = "conv") -> dict[str, int]:
        """Alpha of every masked layer of ``network`` (1 outside the plan)."""
        positive(alpha, "--alpha", error=PackingError, strict=True)
        layers = LAYERS[check_network(network)]
        planned = [layer for layer in layers if in_scope(layer, scope)]
        if self.kind == "list":
            if len(self.values) != len(planned):
                names = ", ".join(layer.name for layer in planned[:3])
                raise PackingError(
                    f"--alphas: {network} has {len(planned)} {scope} layers to plan "
                    f"({names}, ...), got {len(self.values)} values; give one per layer "
                    "or stage:A,B,C")
            chosen = dict(zip((layer.name for layer in planned), self.values, strict=True))
        elif self.kind == "stage":
            stages = 1 + max(layer.stage for layer in layers)
            if len(self.values) != stages:
                raise PackingError(f"--alphas stage:...: {network} has {stages} stages, "
                                   f"got {len(self.values)} values")
            chosen = {layer.name: self.values[layer.stage] for layer in planned}
            chosen[layers[0].name] = 1
        else:
            chosen = {layer.name: alpha for layer in planned}
            chosen[layers[0].name] = 1
        return {layer.name: chosen.get(layer.name, 1) for layer in layers}

    def label(self) -> str:
        if self.kind == "default":
            return "default"
        prefix = "stage:" if self.kind == "stage" else ""
        return prefix + ",".join(str(v) for v in self.values)


def check_plan_options(networks: tuple[str, ...], alpha: int, alphas: str, layers: str,
                       rows: str, resolution: int) -> AlphaPlan:
    """Validate the plan and accounting options of the command line for every network
    (before torch is imported); returns the parsed plan."""
    for name in networks:
        check_network(name, "--networks" if len(networks) > 1 else "--model")
    check_choice(layers, SCOPES, "--layers")
    check_choice(rows, ROW_MODES, "--rows")
    positive(alpha, "--alpha", error=PackingError, strict=True)
    plan = AlphaPlan.parse(alphas)
    for name in networks:
        cost_resolution(name, resolution)
        plan.resolve(name, alpha, layers)
    return plan
