"""Per-channel-space pruning statistics learned from real PruneTrain ResNet50 models.

The data (``data/resnet50_prunetrain_snapshots.csv``, copied from the project's reference
set) gives the channel counts of three PruneTrain-pruned ImageNet ResNet50 models. For every
prunable channel space of ResNet50 the *keep logit* ``logit(kept / dense)`` is averaged over
the three snapshots; it says how hard PruneTrain prunes that space relative to the others.

Every space of any model gets a *role* from the layer that writes it:

* ``stem``: written by a layer fed by the model input;
* ``residual``: written by several layers (a residual node);
* ``spatial_strided`` / ``spatial``: written by a k x k conv (k > 1) with / without stride;
* ``pointwise``: written by a 1x1 conv or a linear layer.

ResNet50 itself uses its own per-space logits. Another model ("apply ResNet50's statistics",
as FlexSA did for Inception v4) gets, per space, the kernel-weighted mean of the ResNet50
logits of the same role at a similar relative depth, and a spread (their weighted standard
deviation) that the seeded generator samples from.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from flexsa.workloads.layers import ConvLayer
from flexsa.workloads.model import Model

ROLES = ("stem", "residual", "spatial_strided", "spatial", "pointwise")
KEEP_CLAMP = (0.02, 0.995)  # keep fractions outside are treated as these (finite logits)
DEPTH_BANDWIDTH = 0.15      # Gaussian kernel width over relative depth (0 = first layer)
MIN_SPREAD = 0.1            # spread floor for the seeded per-space jitter (logit units)
SNAPSHOTS = ("r01", "r02", "r03")


@dataclass(frozen=True)
class SpaceStat:
    """One ResNet50 space: its role, relative depth and mean keep logit over the snapshots."""

    space: str
    role: str
    depth: float
    logit: float


def logit(p: float) -> float:
    p = min(max(p, KEEP_CLAMP[0]), KEEP_CLAMP[1])
    return math.log(p / (1.0 - p))


def space_role(model: Model, space: str) -> str | None:
    """The role of a space (see the module doc), or None if no GEMM layer writes it."""
    producers = model.producers(space)
    if not producers:
        return None
    if any(model.reads_model_input(p) for p in producers):
        return "stem"
    if len(producers) > 1:
        return "residual"
    layer = model.layer(producers[0])
    if isinstance(layer, ConvLayer) and layer.kh * layer.kw > 1:
        return "spatial_strided" if layer.stride > 1 else "spatial"
    return "pointwise"


def space_depths(model: Model) -> dict[str, float]:
    """Relative depth in [0, 1] of every written space: its first producer's GEMM position."""
    order = [layer.name for layer in model.gemm_layers]
    last = max(1, len(order) - 1)
    depth: dict[str, float] = {}
    for index, name in enumerate(order):
        node = model.node(name)
        if node is not None and not node.depthwise_coupled:
            depth.setdefault(node.output, index / last)
    return depth


def _resnet50_space(role: str) -> str | None:
    """CSV role label (e.g. ``s2b3 1x1a``) -> ResNet50 space name in the zoo model."""
    if role.startswith("stem"):
        return "conv1"
    if role == "classifier":
        return None
    block, kind = role.split()
    stage, index = block[1:].split("b")
    if kind in ("1x1b", "downsample"):
        return f"layer{stage}"
    conv = {"1x1a": "conv1", "3x3": "conv2"}[kind]
    return f"layer{stage}.{int(index) - 1}.{conv}"


@lru_cache(maxsize=1)
def snapshot_keep() -> dict[str, tuple[float, ...]]:
    """Keep fraction of every ResNet50 space in each snapshot (r01, r02, r03)."""
    text = resources.files("flexsa.workloads.pruning").joinpath(
        "data/resnet50_prunetrain_snapshots.csv").read_text()
    rows = csv.DictReader(io.StringIO("\n".join(
        line for line in text.splitlines() if not line.startswith("#"))))
    keep: dict[str, tuple[float, ...]] = {}
    for row in rows:
        space = _resnet50_space(row["role"])
        if space is not None:
            base = int(row["base_out"])
            keep[space] = tuple(int(row[f"{s}_out"]) / base for s in SNAPSHOTS)
    return keep


@lru_cache(maxsize=1)
def resnet50_statistics() -> tuple[SpaceStat, ...]:
    """Role, depth and mean keep logit of every prunable ResNet50 space."""
    from flexsa.workloads.zoo import build_model

    model = build_model("resnet50")
    depths = space_depths(model)
    stats = []
    for space, keeps in snapshot_keep().items():
        role = space_role(model, space)
        assert role is not None, space
        mean = sum(logit(k) for k in keeps) / len(keeps)
        stats.append(SpaceStat(space, role, depths[space], mean))
    return tuple(stats)


def predict(role: str, depth: float) -> tuple[float, float]:
    """(mean, spread) of the keep logit of a ``role`` space at relative ``depth``."""
    points = [s for s in resnet50_statistics() if s.role == role]
    weights = [math.exp(-0.5 * ((s.depth - depth) / DEPTH_BANDWIDTH) ** 2) + 1e-12
               for s in points]
    total = sum(weights)
    mean = sum(w * s.logit for w, s in zip(weights, points, strict=True)) / total
    var = sum(w * (s.logit - mean) ** 2 for w, s in zip(weights, points, strict=True)) / total
    return mean, max(MIN_SPREAD, math.sqrt(var))


def uses_resnet50_spaces(model: Model) -> bool:
    """True if the model has every ResNet50 space the snapshots describe (any width)."""
    return set(snapshot_keep()) <= set(model.widths)


def space_logits(model: Model) -> dict[str, tuple[float, float]]:
    """(keep logit, jitter spread) for every prunable, written space of ``model``."""
    direct = uses_resnet50_spaces(model)
    own = {s.space: s.logit for s in resnet50_statistics()}
    depths = space_depths(model)
    result: dict[str, tuple[float, float]] = {}
    for space in model.spaces:
        role = space_role(model, space.name) if space.prunable else None
        if role is None:
            continue
        if direct and space.name in own:
            result[space.name] = (own[space.name], MIN_SPREAD)
        else:
            result[space.name] = predict(role, depths[space.name])
    return result
