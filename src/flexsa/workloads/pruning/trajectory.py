"""Pruning trajectories: per-interval channel widths of a model pruned while training.

PruneTrain reconfigures the model every ``interval`` epochs, so training runs a sequence of
ever smaller dense models. Real per-interval channel counts of the big models are not
public; this generator produces them without training:

1. **Final widths.** Each prunable channel space ``s`` gets a keep logit ``l_s`` from the
   real PruneTrain ResNet50 statistics (:mod:`.statistics`; own values for ResNet50, role x
   depth statistics for any other model) plus a seeded jitter of the statistics' spread. The
   final keep fraction is ``sigmoid(l_s + beta)``; ``beta`` is found by bisection so the
   final model's training FLOPs are the target fraction of the dense model's.
2. **Timing.** The first interval trains the dense model; at every reconfiguration each
   space has moved a fraction ``p_k = (1 - exp(-t_k / tau_s)) / (1 - exp(-t_last / tau_s))``
   of the way to its final width (``t_k`` the reconfiguration epoch; ``tau_s`` = 22% of
   training, seeded +-30% per space): most channels go early, as in PruneTrain, and the last
   interval ends exactly at the final widths. Widths never grow.

Widths are per *space*, so the union rules (one width per residual node, concatenations,
depthwise coupling) hold by construction through :meth:`Model.with_widths`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flexsa.errors import WorkloadError
from flexsa.provenance import provenance
from flexsa.validation import LIMITS, as_float, as_int, positive
from flexsa.workloads.layers import ConvLayer, LinearLayer
from flexsa.workloads.model import Model
from flexsa.workloads.pruning.flops import train_macs
from flexsa.workloads.pruning.statistics import space_logits

STRENGTHS: dict[str, float] = {"low": 0.48, "high": 0.25}
TAU_FRACTION = 0.22   # time constant of the pruning progress, as a fraction of training
TAU_SPREAD = 0.3      # seeded log-normal spread of the per-space time constant
BISECTION_STEPS = 60
BETA_RANGE = (-40.0, 40.0)


def parse_strength(strength: str | float) -> tuple[str, float]:
    """``low``/``high``/a fraction in (0, 1] -> (label, target training-FLOPs ratio)."""
    if isinstance(strength, str) and strength.strip().lower() in STRENGTHS:
        label = strength.strip().lower()
        return label, STRENGTHS[label]
    try:
        target = float(strength)
    except (TypeError, ValueError):
        raise WorkloadError(
            f"--strength must be low, high or a fraction in (0, 1], got {strength!r}") from None
    if not 0.0 < target <= 1.0 or math.isnan(target):
        raise WorkloadError(
            f"--strength target FLOPs ratio must be in (0, 1], got {target:g}")
    return f"{target:g}", target


def check_schedule(epochs: int, interval: int) -> None:
    """Reject non-positive epochs/interval and an interval longer than training."""
    positive(epochs, "--epochs", limit="epochs", error=WorkloadError)
    positive(interval, "--interval", error=WorkloadError)
    LIMITS["intervals"].check(-(-epochs // interval), "--epochs / --interval (reconfigurations)",
                              "use a longer --interval", WorkloadError)
    if interval > epochs:
        raise WorkloadError(
            f"--interval {interval} is longer than training (--epochs {epochs}); "
            "use an interval <= epochs")


# --------------------------------------------------------------------------- fast cost
@dataclass(frozen=True)
class _LayerCost:
    factor: int                 # phases x MACs per (input channel x output channel)
    inputs: tuple[str, ...]
    output: str
    depthwise: bool


class TrainCost:
    """Training MACs per sample as a function of the space widths (no model rebuild)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.fixed = 0
        self.terms: list[_LayerCost] = []
        for layer in model.gemm_layers:
            node = model.node(layer.name)
            phases = 2 if model.reads_model_input(layer.name) else 3
            if node is None or not isinstance(layer, ConvLayer | LinearLayer):
                self.fixed += phases * layer.macs
                continue
            if isinstance(layer, LinearLayer):
                factor = phases * layer.tokens
            else:
                factor = phases * layer.hout * layer.wout * layer.kh * layer.kw
            if isinstance(layer, ConvLayer) and layer.groups > 1 and not node.depthwise_coupled:
                raise WorkloadError(f"layer {layer.name!r}: grouped convs are not prunable here")
            self.terms.append(_LayerCost(factor, node.inputs, node.output, node.depthwise_coupled))

    def __call__(self, widths: Mapping[str, int]) -> int:
        total = self.fixed
        for term in self.terms:
            cout = widths[term.output]
            cin = 1 if term.depthwise else sum(widths[s] for s in term.inputs)
            total += term.factor * cin * cout
        return total


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Interval:
    """A pruning interval: epochs ``[epoch_start, epoch_end)`` train one model instance, the
    ``index``-th of its run, with these space widths (none for a dense or width-scaled
    model) at ``train_flops_ratio`` of the dense model's training FLOPs. The one interval
    record of the toolkit (trajectories and the FlexSA evaluation's records use it)."""

    epoch_start: int
    epoch_end: int
    train_flops_ratio: float = 1.0
    widths: Mapping[str, int] = field(default_factory=dict, hash=False)
    index: int = 0

    @property
    def epochs(self) -> int:
        return self.epoch_end - self.epoch_start


@dataclass(frozen=True)
class Trajectory:
    """A model's widths per training interval (see the module doc)."""

    model_name: str
    strength: str
    target: float
    epochs: int
    interval: int
    seed: int
    intervals: tuple[Interval, ...]
    base: Model = field(repr=False, compare=False, hash=False)

    @property
    def final_train_flops_ratio(self) -> float:
        return self.intervals[-1].train_flops_ratio

    @property
    def mean_train_flops_ratio(self) -> float:
        """Training-FLOPs ratio averaged over all epochs (what the evaluation uses)."""
        return sum(i.train_flops_ratio * i.epochs for i in self.intervals) / self.epochs

    def interval_at(self, epoch: int) -> Interval:
        as_int(epoch, "--epoch", low=0, high=self.epochs, error=WorkloadError, strict=True)
        for item in self.intervals:
            if item.epoch_start <= epoch < item.epoch_end:
                return item
        return self.intervals[-1]

    def model_at(self, epoch: int) -> Model:
        """The (dense, smaller) model trained at ``epoch``."""
        item = self.interval_at(epoch)
        name = f"{self.base.name}@{self.strength}:e{item.epoch_start}-{item.epoch_end}"
        return self.base.with_widths(item.widths, name)

    def models(self) -> list[Model]:
        return [self.model_at(item.epoch_start) for item in self.intervals]

    def config(self) -> dict[str, Any]:
        return {"model": self.model_name, "strength": self.strength, "target": self.target,
                "epochs": self.epochs, "interval": self.interval, "seed": self.seed}

    def as_dict(self) -> dict[str, Any]:
        intervals = []
        for item, model in zip(self.intervals, self.models(), strict=True):
            intervals.append({
                "epoch_start": item.epoch_start, "epoch_end": item.epoch_end,
                "train_flops_ratio": round(item.train_flops_ratio, 6),
                "widths": dict(item.widths), "layers": model.channel_table(),
            })
        return {"model": self.model_name, "strength": self.strength,
                "target_train_flops_ratio": self.target,
                "final_train_flops_ratio": round(self.final_train_flops_ratio, 6),
                "mean_train_flops_ratio": round(self.mean_train_flops_ratio, 6),
                "epochs": self.epochs, "interval": self.interval, "seed": self.seed,
                "intervals": intervals, **provenance(self.config())}


# --------------------------------------------------------------------------- generator
def _base_model(model: str | Model) -> Model:
    if isinstance(model, Model):
        return model
    from flexsa.workloads.zoo import build_model

    return build_model(model)


def _schedule(epochs: int, interval: int) -> list[tuple[int, int]]:
    starts = range(0, epochs, interval)
    return [(s, min(s + interval, epochs)) for s in starts]


def _widths_at(dense: Mapping[str, int], logits: Mapping[str, float],
               beta: float) -> dict[str, int]:
    widths = dict(dense)
    for space, value in logits.items():
        keep = 1.0 / (1.0 + math.exp(-max(-500.0, min(500.0, value + beta))))
        widths[space] = max(1, round(dense[space] * keep))
    return widths


def solve_final_widths(base: Model, logits: Mapping[str, float], target: float) -> dict[str, int]:
    """Widths ``sigmoid(logit + beta)`` with ``beta`` bisected to hit the FLOPs ``target``."""
    cost = TrainCost(base)
    dense = base.widths
    dense_cost = cost(dense)
    if target >= 1.0:
        return dict(dense)
    lo, hi = BETA_RANGE
    floor = cost(_widths_at(dense, logits, lo)) / dense_cost
    if target < floor:
        raise WorkloadError(
            f"target training-FLOPs ratio {target:g} is below the smallest reachable "
            f"{floor:.4g} for {base.name}; use a larger fraction")
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if cost(_widths_at(dense, logits, mid)) / dense_cost < target:
            lo = mid
        else:
            hi = mid
    candidates = [_widths_at(dense, logits, b) for b in (lo, hi)]
    best = min(candidates, key=lambda w: abs(cost(w) / dense_cost - target))
    return _refine(best, dense, list(logits), cost, target * dense_cost)


def _refine(widths: dict[str, int], dense: Mapping[str, int], spaces: list[str],
            cost: TrainCost, goal: float, max_steps: int = 64) -> dict[str, int]:
    """Nudge single channels (within [1, dense]) while that brings the cost closer to goal."""
    current = dict(widths)
    error = abs(cost(current) - goal)
    for _ in range(max_steps):
        best: tuple[float, str, int] | None = None
        for space in spaces:
            for step in (-1, 1):
                width = current[space] + step
                if not 1 <= width <= dense[space]:
                    continue
                trial_error = abs(cost({**current, space: width}) - goal)
                if trial_error < error and (best is None or trial_error < best[0]):
                    best = (trial_error, space, width)
        if best is None:
            break
        error, space, width = best
        current[space] = width
    return current


def make_trajectory(model_name: str | Model, strength: str | float, *, epochs: int = 90,
                    interval: int = 10, seed: int = 0) -> Trajectory:
    """A seeded, deterministic pruning trajectory (see the module doc)."""
    import numpy as np

    label, target = parse_strength(strength)
    check_schedule(epochs, interval)
    base = _base_model(model_name)
    stats = space_logits(base)
    rng = np.random.default_rng(seed)
    spaces = list(stats)
    jitter = rng.standard_normal(len(spaces))
    speed = rng.standard_normal(len(spaces))
    logits = {s: stats[s][0] + stats[s][1] * float(z) for s, z in zip(spaces, jitter, strict=True)}
    final = solve_final_widths(base, logits, target)
    tau = {s: TAU_FRACTION * epochs * math.exp(TAU_SPREAD * float(z))
           for s, z in zip(spaces, speed, strict=True)}
    schedule = _schedule(epochs, interval)
    last_epoch = schedule[-1][0]
    cost = TrainCost(base)
    dense_cost = cost(base.widths)
    intervals: list[Interval] = []
    for start, end in schedule:
        widths = dict(base.widths)
        for space in spaces:
            progress = _progress(start, last_epoch, tau[space])
            drop = base.widths[space] - final[space]
            widths[space] = base.widths[space] - round(drop * progress)
        changed = {s: w for s, w in widths.items() if s in stats}
        intervals.append(Interval(start, end, cost(widths) / dense_cost, changed,
                                  len(intervals)))
    return Trajectory(base.name, label, target, epochs, interval, seed, tuple(intervals), base)


def _progress(epoch: int, last_epoch: int, tau: float) -> float:
    """Fraction of the final pruning done by ``epoch`` (1 at the last reconfiguration)."""
    if last_epoch == 0:
        return 1.0
    return (1.0 - math.exp(-epoch / tau)) / (1.0 - math.exp(-last_epoch / tau))


def width_trajectory(model_name: str, width_mult: float, *, epochs: int = 90,
                     interval: int = 10) -> Trajectory:
    """A uniformly thinner model trained from scratch (e.g. MobileNet v2 at width 0.75)."""
    from flexsa.workloads.zoo import build_model

    check_schedule(epochs, interval)
    as_float(width_mult, "--width-mult", low=0.0, low_open=True, high=1.0, error=WorkloadError)
    base = build_model(model_name)
    thin = build_model(model_name, width_mult=width_mult)
    widths = {s.name: thin.widths[s.name] for s in base.spaces if s.prunable}
    if base.with_widths(widths).channel_table() != thin.channel_table():
        raise WorkloadError(f"model {model_name!r}: its width multiplier is not a per-space "
                            "rescaling; cannot express it as a trajectory")
    ratio = train_macs(thin) / train_macs(base)
    intervals = tuple(Interval(s, e, ratio, widths, i)
                      for i, (s, e) in enumerate(_schedule(epochs, interval)))
    return Trajectory(base.name, f"width_mult={width_mult:g}", ratio, epochs, interval, 0,
                      intervals, base)


# --------------------------------------------------------------------------- files
def load_trajectory(path: str | Path, base: Model | None = None) -> Trajectory:
    """Read a trajectory JSON (as written by ``as_dict`` / ``flexsa prune trajectory --json``).

    Intervals need ``widths`` (per space) or ``layers`` (``{name: {cin, cout}}``); the model
    is rebuilt from the zoo by name unless ``base`` is given, and ``layers`` must match it.
    """
    from pydantic import ValidationError

    from flexsa.paths import read_text
    from flexsa.workloads.pruning.schema import TrajectoryFile

    file = Path(path)
    text = read_text(file, "trajectory file", WorkloadError)
    try:
        raw = json.loads(text)
        doc = TrajectoryFile.model_validate(raw)
    except OSError as err:
        raise WorkloadError(f"cannot read trajectory file {str(file)!r}: {err.strerror}") from None
    except json.JSONDecodeError as err:
        raise WorkloadError(f"trajectory file {str(file)!r} is not JSON: {err.msg}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WorkloadError(f"trajectory file {str(file)!r}: {where}: {first['msg']}") from None
    model = base if base is not None else _base_model(doc.model)
    check_schedule(doc.epochs, doc.interval)
    cost = TrainCost(model)
    dense_cost = cost(model.widths)
    intervals = []
    for index, item in enumerate(doc.intervals):
        widths = item.widths if item.widths is not None else _widths_from_layers(
            model, item.layers or {}, index)
        pruned = model.with_widths(widths)
        if item.layers is not None:
            _check_layers(pruned, item.layers, index)
        ratio = cost(pruned.widths) / dense_cost
        intervals.append(Interval(item.epoch_start, item.epoch_end, ratio, dict(widths),
                                  index))
    _check_contiguous(intervals, doc.epochs)
    return Trajectory(model.name, doc.strength, doc.target_train_flops_ratio or
                      intervals[-1].train_flops_ratio, doc.epochs, doc.interval, doc.seed,
                      tuple(intervals), model)


def _widths_from_layers(model: Model, layers: Mapping[str, Any], index: int) -> dict[str, int]:
    widths: dict[str, int] = {}
    for name, shape in layers.items():
        node = model.node(name)
        if node is None:
            raise WorkloadError(f"trajectory interval {index}: model {model.name!r} has no "
                                f"layer {name!r}")
        if not node.depthwise_coupled:
            widths.setdefault(node.output, shape.cout)
    prunable = {space.name for space in model.spaces if space.prunable}
    return {space: width for space, width in widths.items() if space in prunable}


def _check_layers(model: Model, layers: Mapping[str, Any], index: int) -> None:
    table = model.channel_table()
    for name, shape in layers.items():
        if table.get(name) != {"cin": shape.cin, "cout": shape.cout}:
            raise WorkloadError(
                f"trajectory interval {index}: layer {name!r} has cin={shape.cin}, "
                f"cout={shape.cout}, which breaks the channel-union rules "
                f"(expected {table.get(name)})")


def _check_contiguous(intervals: list[Interval], epochs: int) -> None:
    expected = 0
    for item in intervals:
        if item.epoch_start != expected or item.epoch_end <= item.epoch_start:
            raise WorkloadError(f"trajectory intervals must tile [0, {epochs}) in order; "
                                f"found [{item.epoch_start}, {item.epoch_end})")
        expected = item.epoch_end
    if expected != epochs:
        raise WorkloadError(f"trajectory intervals end at epoch {expected}, not {epochs}")


def pruned_model(model_name: str, pruning: str, epoch: int, *, seed: int = 0) -> Model:
    """For ``--pruning low|high|FRACTION|FILE.json --epoch E``: the model trained at epoch E."""
    path = Path(pruning)
    if path.suffix.lower() == ".json":
        return load_trajectory(path).model_at(epoch)
    return make_trajectory(model_name, pruning, seed=seed).model_at(epoch)
