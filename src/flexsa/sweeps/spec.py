"""Sweep specs: the YAML file, validated at the boundary into typed :class:`SweepSpec` records.

::

    arch: [1G1C, 1G1F, my_array.yaml]   # presets or config files (relative to the spec)
    model: [resnet50, net.onnx]         # zoo names or model files
    batch: [32]
    pruning: [none, low@50]             # none | low@E | high@E | FRACTION@E (epoch E)
    memory: [ideal, hbm2]               # ideal | hbm2 | <GB/s>
    set:                                # config fields by dotted path
      arch.core_rows: [64, 128]
      arch.gbuf_mib: [5, 10, 20]        # memory fields may omit "memory."
      model.width_mult: [0.5, 1.0]
    phases: all                         # optional: fwd, dgrad, wgrad or all
    dgrad_form: split                   # optional: split, implicit or col2im

Every list may also be a single value. ``set`` keys are ``arch.<field>``,
``arch.memory.<field>`` (or ``arch.<memory field>``) of the accelerator config, or
``model.width_mult`` / ``model.resolution`` / ``model.seq_len``; an unknown key is an error
naming it. The spec's *identity* (:attr:`SweepSpec.digest`) covers the normalised lists and
the contents of the files it names, so a store can tell whether it was written by this spec.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from flexsa.errors import ConfigError
from flexsa.validation import LIMITS, as_float, as_int, positive

MODEL_KNOBS = ("width_mult", "resolution", "seq_len")
TRAINING_EPOCHS = 90   # the PruneTrain schedule of make_trajectory (its default)
SCALAR = str | int | float | bool


@dataclass(frozen=True)
class Pruning:
    """``none`` or a PruneTrain trajectory strength evaluated at ``epoch``."""

    strength: str = "none"
    epoch: int = 0

    @property
    def label(self) -> str:
        return "none" if self.strength == "none" else f"{self.strength}@{self.epoch}"


@dataclass(frozen=True)
class Entry:
    """An arch or model entry: its label as written and what to load (path or name)."""

    label: str
    ref: str
    digest: str = ""          # sha256 of the file contents ("" for built-ins)

    @property
    def is_file(self) -> bool:
        return bool(self.digest)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the axes of the cross product."""

    arch: tuple[Entry, ...]
    model: tuple[Entry, ...]
    batch: tuple[int, ...]
    pruning: tuple[Pruning, ...]
    memory: tuple[str | float, ...]
    overrides: tuple[tuple[str, tuple[SCALAR, ...]], ...]
    phases: str = "all"
    dgrad_form: str = "split"

    def normalized(self) -> dict[str, Any]:
        """The canonical form (labels, file digests, values) that defines the spec's identity."""
        return {
            "arch": [[e.label, e.digest] for e in self.arch],
            "model": [[e.label, e.digest] for e in self.model],
            "batch": list(self.batch),
            "pruning": [p.label for p in self.pruning],
            "memory": list(self.memory),
            "set": {key: list(values) for key, values in self.overrides},
            "phases": self.phases,
            "dgrad_form": self.dgrad_form,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.normalized(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def size(self) -> int:
        count = len(self.arch) * len(self.model) * len(self.batch) * len(self.pruning)
        count *= len(self.memory)
        return count * math.prod(len(values) for _, values in self.overrides)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


class _SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)

    arch: list[str]
    model: list[str]
    batch: list[int] = [32]
    pruning: list[str] = ["none"]
    memory: list[str | float] = ["ideal"]
    set: dict[str, list[SCALAR]] = {}
    phases: str = "all"
    dgrad_form: str = "split"

    @field_validator("arch", "model", "batch", "pruning", "memory", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> list[Any]:
        return _as_list(value)

    @field_validator("set", mode="before")
    @classmethod
    def _listify_set(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): _as_list(v) for k, v in value.items()}
        return value


def _first_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "spec"
    if first["type"] == "extra_forbidden":
        return ConfigError(f"{source}: unknown sweep key {where!r}; use arch, model, batch, "
                           "pruning, memory, set, phases, dgrad_form")
    if first["type"] == "missing":
        return ConfigError(f"{source}: the sweep spec needs {where!r}")
    return ConfigError(f"{source}: {where}: {first['msg']}")


def load_spec(source: str | Path | Mapping[str, Any], base_dir: Path | None = None) -> SweepSpec:
    """Read and validate a sweep spec (a YAML file or an already parsed mapping)."""
    if isinstance(source, Mapping):
        data, label, base = dict(source), "sweep spec", base_dir or Path.cwd()
    else:
        from flexsa.paths import input_file

        path = input_file(source, "sweep spec", ConfigError)
        from flexsa.arch.schema import load_yaml_mapping

        data, label, base = load_yaml_mapping(path), str(path), base_dir or path.parent
    for axis in ("batch", "memory"):
        if any(isinstance(v, bool) for v in _as_list(data.get(axis, []))):
            raise ConfigError(f"{label}: {axis}: give numbers, not true/false")
    try:
        raw = _SpecModel.model_validate(data)
    except ValidationError as err:
        raise _first_error(err, label) from None
    for axis in ("arch", "model", "batch", "pruning", "memory"):
        if not getattr(raw, axis):
            raise ConfigError(f"{label}: {axis!r} must list at least one value")
    size = math.prod(len(getattr(raw, axis)) for axis in ("arch", "model", "batch", "pruning",
                                                          "memory"))
    LIMITS["sweep_points"].check(size * math.prod(len(v) for v in raw.set.values()),
                                 f"{label}: points", "split the sweep", ConfigError)
    arch = [_arch_entry(a, base, label) for a in raw.arch]
    model = [_model_entry(m, base, label) for m in raw.model]
    _unique([e.ref for e in arch], "arch", label)
    _unique([e.ref for e in model], "model", label)
    return SweepSpec(
        arch=tuple(arch),
        model=tuple(model),
        batch=tuple(_batch(b, label) for b in _unique(raw.batch, "batch", label)),
        pruning=tuple(_pruning(p, label) for p in _unique(raw.pruning, "pruning", label)),
        memory=tuple(_memory(m, label) for m in _unique(raw.memory, "memory", label)),
        overrides=tuple(_override(k, v, label) for k, v in raw.set.items()),
        phases=_phases(raw.phases, label),
        dgrad_form=_dgrad_form(raw.dgrad_form, label),
    )


def _unique(values: list[Any], axis: str, label: str) -> list[Any]:
    if len({json.dumps(v) for v in values}) != len(values):
        raise ConfigError(f"{label}: {axis!r} lists a value twice")
    return values


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _arch_entry(text: str, base: Path, label: str) -> Entry:
    from flexsa.arch import PRESETS

    if text.strip().upper() in PRESETS:
        return Entry(text.strip().upper(), text.strip().upper())
    path = (base / text) if not Path(text).is_absolute() else Path(text)
    if not path.is_file():
        raise ConfigError(f"{label}: arch {text!r} is neither a preset "
                          f"({', '.join(PRESETS)}) nor an existing config file")
    from flexsa.arch import load_arch

    load_arch(path)  # validate now: a bad config is one line before anything runs
    return Entry(text, str(path.resolve()), _file_digest(path))


def _model_entry(text: str, base: Path, label: str) -> Entry:
    path = (base / text) if not Path(text).is_absolute() else Path(text)
    if Path(text).suffix and path.is_file():
        return Entry(text, str(path.resolve()), _file_digest(path))
    if Path(text).suffix and Path(text).suffix.lower() in (".onnx", ".csv"):
        raise ConfigError(f"{label}: model file {text!r} not found")
    from flexsa.workloads.zoo import canonical_name

    return Entry(canonical_name(text), canonical_name(text))


def _batch(value: int, label: str) -> int:
    return positive(value, f"{label}: batch", limit="batch", error=ConfigError)


def _pruning(text: str, label: str) -> Pruning:
    key = str(text).strip().lower()
    if key == "none":
        return Pruning()
    strength, sep, epoch_text = key.partition("@")
    if not sep:
        raise ConfigError(f"{label}: pruning {text!r} needs an epoch: none, low@E, high@E "
                          "or FRACTION@E")
    from flexsa.errors import WorkloadError
    from flexsa.workloads.pruning import parse_strength

    try:
        strength_label, _ = parse_strength(strength)
        epoch = int(epoch_text)
    except (ValueError, WorkloadError):
        raise ConfigError(f"{label}: pruning {text!r} must be none, low@E, high@E or "
                          "FRACTION@E with an integer epoch E") from None
    if not 0 <= epoch <= TRAINING_EPOCHS:
        raise ConfigError(f"{label}: pruning epoch must be in [0, {TRAINING_EPOCHS}] "
                          f"(the training schedule), got {epoch}")
    return Pruning(strength_label, epoch)


def _memory(value: str | float, label: str) -> str | float:
    if isinstance(value, str):
        key = value.strip().lower()
        if key in ("ideal", "hbm2"):
            return key
        try:
            value = float(key)
        except ValueError:
            raise ConfigError(f"{label}: memory {value!r} must be ideal, hbm2 or a DRAM "
                              "bandwidth in GB/s") from None
    return as_float(value, f"{label}: memory bandwidth (GB/s)", low=0.0, low_open=True,
                    error=ConfigError)


def arch_field_names() -> tuple[list[str], list[str]]:
    """``(top-level fields, memory fields)`` that ``set: arch.*`` may name."""
    from flexsa.arch import ArchConfig, MemoryConfig

    top = [f.name for f in fields(ArchConfig) if f.name not in ("name", "memory", "description")]
    return top, [f.name for f in fields(MemoryConfig)]


def canonical_field(key: str, label: str = "sweep spec") -> str:
    """``arch.core_rows`` -> ``arch.core_rows``; ``arch.gbuf_mib`` -> ``arch.memory.gbuf_mib``."""
    parts = key.strip().split(".")
    if parts[0] == "model" and len(parts) == 2 and parts[1] in MODEL_KNOBS:
        return key.strip()
    if parts[0] == "arch":
        top, memory = arch_field_names()
        if len(parts) == 2 and parts[1] in top:
            return key.strip()
        if len(parts) == 2 and parts[1] in memory:
            return f"arch.memory.{parts[1]}"
        if len(parts) == 3 and parts[1] == "memory" and parts[2] in memory:
            return key.strip()
        raise ConfigError(f"{label}: set: unknown config field {key!r}; arch fields are "
                          f"{', '.join(top)} and memory.{{{', '.join(memory)}}}")
    raise ConfigError(f"{label}: set: unknown config field {key!r}; use arch.<field>, "
                      f"arch.memory.<field> or model.{{{', '.join(MODEL_KNOBS)}}}")


def _override(key: str, values: list[SCALAR], label: str) -> tuple[str, tuple[SCALAR, ...]]:
    field_name = canonical_field(key, label)
    if not values:
        raise ConfigError(f"{label}: set: {key!r} must list at least one value")
    _unique(values, f"set.{key}", label)
    if field_name.startswith("model."):
        values = [_model_knob(field_name, v, label) for v in values]
    return field_name, tuple(values)


def _model_knob(field_name: str, value: SCALAR, label: str) -> SCALAR:
    """``model.width_mult`` in (0, 16]; ``model.resolution`` / ``seq_len`` integers >= 0."""
    from flexsa.workloads.sources import MAX_WIDTH_MULT, MIN_WIDTH_MULT

    where = f"{label}: set: {field_name}"
    if field_name == "model.width_mult":
        return as_float(value, where, low=MIN_WIDTH_MULT, high=MAX_WIDTH_MULT,
                        error=ConfigError)
    return as_int(value, where, low=0, limit=field_name.split(".")[1], error=ConfigError)


def _phases(text: str, label: str) -> str:
    from flexsa.errors import WorkloadError
    from flexsa.workloads.lowering import parse_phases

    try:
        parse_phases(text)
    except WorkloadError:
        raise ConfigError(
            f"{label}: phases must be fwd, dgrad, wgrad or all, got {text!r}") from None
    return text


def _dgrad_form(text: str, label: str) -> str:
    if text not in ("split", "implicit", "col2im"):
        raise ConfigError(f"{label}: dgrad_form must be split, implicit or col2im, got {text!r}")
    return text
