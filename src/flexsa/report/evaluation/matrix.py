"""The evaluation's run matrix: workloads x pruning intervals x configs x memory modes.

A *variant* is one row of ``summary.json``'s ``runs`` (``resnet50_low``, ...): a model, a
mini-batch and how it is pruned. A *work unit* is one model instance (a variant at one
pruning interval) simulated on several (config, memory) *targets*; every target gives one
result record, keyed by :func:`record_key`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from flexsa.errors import ConfigError

# the one interval record, re-exported (records and backends name it from here too)
from flexsa.workloads.pruning.trajectory import Interval as Interval

MAIN_CONFIGS: tuple[str, ...] = ("1G1C", "1G4C", "4G4C", "1G1F", "4G1F")
FLEXSA_CONFIGS: tuple[str, ...] = ("1G1F", "4G1F")
BASELINE = "1G1C"
MEMORIES: tuple[str, ...] = ("ideal", "hbm2")
MODELS: tuple[str, ...] = ("resnet50", "inception_v4", "mobilenet_v2")
STUDIES: tuple[str, ...] = ("main", "splitting", "area", "search")
# Models with depthwise convolutions: when the depthwise knob puts them on the array
# (per-channel or packed), they are also run without them (ideal memory, study "nodw"):
# their GEMMs leave most PEs idle and dominate such models' cycles. With the default
# (simd) the array never sees them, so the main study already excludes them.
DEPTHWISE_MODELS: tuple[str, ...] = ("mobilenet_v2",)

# The core-splitting study: label -> architecture (GBUF shared within groups of <= 4 cores).
SPLIT_CONFIGS: dict[str, str] = {"1x128": "1G1C", "4x64": "1G4C", "16x32": "4G4C",
                                 "64x16": "16G4C"}
# The area study: label -> architecture; FlexSA's unit is compared with four 64x64 cores.
AREA_CONFIGS: dict[str, str] = {**SPLIT_CONFIGS, "flexsa_4x64": "1G1F"}
SPLIT_RUNS: tuple[str, ...] = ("resnet50_low", "resnet50_high")
MODE_NAMES: tuple[str, ...] = ("FW", "HSW", "VSW", "ISW")


@dataclass(frozen=True)
class Variant:
    """One evaluated workload: a model at a batch, dense, width-scaled or pruned."""

    run: str
    model: str
    batch: int
    strength: str | None = None  # "low"/"high": pruned while training (a trajectory)
    width_mult: float = 1.0
    in_average: bool = True  # part of the "average" row of summary.json


VARIANTS: tuple[Variant, ...] = (
    Variant("resnet50_dense", "resnet50", 32, in_average=False),
    Variant("resnet50_low", "resnet50", 32, strength="low"),
    Variant("resnet50_high", "resnet50", 32, strength="high"),
    Variant("inception_v4_low", "inception_v4", 32, strength="low"),
    Variant("inception_v4_high", "inception_v4", 32, strength="high"),
    Variant("mobilenet_v2_dense", "mobilenet_v2", 128),
    Variant("mobilenet_v2_w075", "mobilenet_v2", 128, width_mult=0.75),
)


@dataclass(frozen=True)
class Target:
    """Where one model instance is simulated: a study, a config name and a memory mode."""

    study: str
    config: str
    memory: str


@dataclass(frozen=True)
class EvalSettings:
    """Everything that decides the evaluation's numbers (goes into every output file)."""

    models: tuple[str, ...] = MODELS
    configs: tuple[str, ...] = MAIN_CONFIGS
    memories: tuple[str, ...] = MEMORIES
    studies: tuple[str, ...] = STUDIES
    epochs: int = 90
    interval: int = 10
    seed: int = 0
    dgrad_form: str = "split"
    depthwise: str = "simd"  # simd, per-channel or packed (flexsa.workloads.depthwise)
    variants: tuple[Variant, ...] = field(default=VARIANTS)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["variants"] = [asdict(v) for v in self.variants]
        return data

    def fingerprint(self) -> dict[str, Any]:
        """The settings that make stored results reusable (filters excluded)."""
        return {"epochs": self.epochs, "interval": self.interval, "seed": self.seed,
                "dgrad_form": self.dgrad_form, "depthwise": self.depthwise,
                "variants": [asdict(v) for v in self.variants]}

    @property
    def selected_variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.model in self.models)

    @property
    def main_configs(self) -> tuple[str, ...]:
        """The selected configs, the 1G1C baseline always first (every ratio needs it)."""
        return (BASELINE, *(c for c in self.configs if c != BASELINE))


def record_key(target: Target, run: str, interval: int) -> str:
    return f"{target.study}/{run}/{interval}/{target.config}/{target.memory}"


def parse_choice(text: str | None, allowed: tuple[str, ...], option: str,
                 aliases: dict[str, str] | None = None) -> tuple[str, ...]:
    """Parse a comma-separated filter; unknown names raise one clear line."""
    if text is None or not text.strip():
        return allowed
    chosen: list[str] = []
    lookup = {a.lower(): a for a in allowed} | {k.lower(): v for k, v in (aliases or {}).items()}
    for raw in text.split(","):
        name = lookup.get(raw.strip().lower().replace("-", "_"))
        if name is None:
            raise ConfigError(f"unknown name {raw.strip()!r} in {option}; "
                              f"choose from {', '.join(allowed)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


MODEL_ALIASES = {"inceptionv4": "inception_v4", "mobilenetv2": "mobilenet_v2",
                 "resnet_50": "resnet50"}
