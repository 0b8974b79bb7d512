"""The run spec: what to simulate, on which accelerator, how it is mapped, with what memory.

:func:`run_spec` is the one builder the Python API, ``flexsa simulate``, the sweep and the
FlexSA reproduction use, so they accept and reject the same inputs. Each part is validated
here, once, with the shared validators of :mod:`flexsa.validation`; a bad value raises the
project's typed error (one line naming the field: the CLI prints it and exits 2). The parts
are frozen records; nothing downstream re-checks or reads raw dicts.

Rules (the same for every entry point):

* give exactly one of ``model`` (with ``batch``) or ``gemms``; the model knobs (``batch``,
  ``phases``, ``width_mult``, ``resolution``, ``seq_len``, ``pruning``, ``epoch``,
  ``dgrad_form``, ``depthwise``, ``skip_layers``) apply to model runs only;
* ``pruning`` (``low``, ``high``, a FLOPs fraction or a trajectory ``.json``) needs
  ``epoch``, and ``epoch`` needs ``pruning``; a pruned model may be width-scaled
  (``width_mult`` applies to the pruned widths) but takes no ``resolution``/``seq_len``
  (the trajectory is of the model at its default input size).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flexsa.errors import ConfigError, WorkloadError
from flexsa.validation import as_float, as_int, positive

if TYPE_CHECKING:
    from flexsa.arch.config import ArchConfig
    from flexsa.energy.table import EnergyTable
    from flexsa.sim.memory_spec import MemorySpec
    from flexsa.workloads.depthwise import DepthwiseLowering
    from flexsa.workloads.layers import Gemm
    from flexsa.workloads.lowering import DgradForm
    from flexsa.workloads.model import Model


class ModePolicy(StrEnum):
    """How the compiler picks each stationary tile's FlexSA mode (see compiler/plan.py)."""

    AUTO = "auto"    # the fastest valid mode per tile class
    TABLE = "table"  # the spec's table: FW, HSW, VSW or ISW by tile size
    FW = "fw"        # always full-width


@dataclass(frozen=True)
class PruningSpec:
    """A PruneTrain-pruned model: ``strength`` (``low``, ``high``, a FLOPs fraction, or a
    trajectory JSON file) evaluated at training ``epoch``."""

    strength: str
    epoch: int

    @property
    def is_file(self) -> bool:
        return Path(self.strength).suffix.lower() == ".json"


@dataclass(frozen=True)
class WorkloadSpec:
    """A model (zoo name, model file or :class:`Model`) at ``batch``, or explicit GEMMs."""

    model: str | Model | None = None
    batch: int = 0
    gemms: tuple[Gemm, ...] = ()
    phases: str = "all"
    width_mult: float = 1.0
    resolution: int = 0     # 0: the model's default
    seq_len: int = 0        # 0: the model's default
    pruning: PruningSpec | None = None
    skip_layers: frozenset[str] = frozenset()  # layers whose GEMMs are left out (SIMD kept)

    @property
    def is_model(self) -> bool:
        return self.model is not None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (a :class:`Model` by its name; explicit GEMMs by their count)."""
        ref = self.model
        if ref is None:
            return {"gemms": len(self.gemms)}
        model = ref if isinstance(ref, str) else ref.name
        pruning = self.pruning
        return {"model": model, "batch": self.batch, "phases": self.phases,
                "width_mult": self.width_mult, "resolution": self.resolution,
                "seq_len": self.seq_len,
                "pruning": None if pruning is None else pruning.strength,
                "epoch": None if pruning is None else pruning.epoch,
                "skip_layers": sorted(self.skip_layers)}


@dataclass(frozen=True)
class MappingSpec:
    """How the workload is lowered and mapped, and which energy table prices it."""

    mode_policy: ModePolicy
    dgrad_form: DgradForm
    depthwise: DepthwiseLowering
    energy_table: EnergyTable
    pack_shape: tuple[int, int] | None = None  # packed depthwise: K x N filled (None: the
    #                                            unit's blk_K x blk_N)

    def as_dict(self) -> dict[str, Any]:
        return {"mode_policy": self.mode_policy.value, "dgrad_form": self.dgrad_form.value,
                "depthwise": self.depthwise.value, "energy_table": self.energy_table.origin,
                "pack_shape": None if self.pack_shape is None else list(self.pack_shape)}


@dataclass(frozen=True)
class RunSpec:
    """One run: workload x architecture x mapping x memory, each validated once."""

    workload: WorkloadSpec
    arch: ArchConfig
    mapping: MappingSpec
    memory: MemorySpec

    def as_dict(self) -> dict[str, Any]:
        """The full configuration of the run (the provenance of its result)."""
        return {"arch": self.arch.as_dict(), "workload": self.workload.as_dict(),
                "mapping": self.mapping.as_dict(), "memory": self.memory.as_dict()}

    def with_memory(self, memory: str | float | MemorySpec) -> RunSpec:
        """The same run with another memory system (validated against the arch)."""
        from flexsa.sim.memory_spec import parse_memory

        return RunSpec(self.workload, self.arch, self.mapping, parse_memory(memory, self.arch))


Namer = Callable[[str], str]
MODEL_ONLY = ("batch", "phases", "width_mult", "resolution", "seq_len", "pruning", "epoch",
              "dgrad_form", "depthwise", "skip_layers", "pack_shape")


def run_spec(arch: str | Path | ArchConfig, model: str | Path | Model | None = None, *,
             batch: int | None = None, gemms: Sequence[Gemm] | None = None,
             phases: str | None = None, memory: str | float | MemorySpec = "ideal",
             width_mult: float | None = None, resolution: int | None = None,
             seq_len: int | None = None, pruning: str | None = None, epoch: int | None = None,
             dgrad_form: str | None = None, depthwise: str | None = None,
             mode_policy: str = "auto", energy_table: str | Path | EnergyTable | None = None,
             overrides: Mapping[str, Any] | None = None, skip_layers: Iterable[str] = (),
             pack_shape: tuple[int, int] | None = None, name: Namer = str) -> RunSpec:
    """The validated :class:`RunSpec` of one run (``None``: not given, the default).

    ``name`` says how the caller calls a field in messages (the CLI passes its flag names).
    """
    from flexsa.sim.memory_spec import parse_memory

    config = arch_config(arch, overrides)
    knobs = {"batch": batch, "phases": phases, "width_mult": width_mult,
             "resolution": resolution, "seq_len": seq_len, "pruning": pruning, "epoch": epoch,
             "dgrad_form": dgrad_form, "depthwise": depthwise,
             "skip_layers": tuple(skip_layers) or None, "pack_shape": pack_shape}
    if (model is None) == (gemms is None):
        raise WorkloadError(f"give exactly one of {name('model')} (with {name('batch')}) or "
                            f"{name('gemms')}")
    if gemms is not None:
        for key in MODEL_ONLY:
            if knobs[key] is not None:
                raise WorkloadError(f"{name(key)} applies to {name('model')} runs only; "
                                    f"remove it")
        workload = WorkloadSpec(gemms=_gemms(gemms, name))
    else:
        assert model is not None
        workload = _model_workload(model, knobs, name)
    mapping = mapping_spec(mode_policy, dgrad_form, depthwise, energy_table, pack_shape, name)
    return RunSpec(workload, config, mapping, parse_memory(memory, config))


def arch_config(arch: str | Path | ArchConfig,
                overrides: Mapping[str, Any] | None = None) -> ArchConfig:
    """A preset, a YAML config or an :class:`ArchConfig`, with dotted-field overrides."""
    from flexsa.arch import ArchConfig, load_arch, with_overrides

    config = arch if isinstance(arch, ArchConfig) else load_arch(arch)
    return with_overrides(config, dict(overrides)) if overrides else config


def mapping_spec(mode_policy: str = "auto", dgrad_form: str | None = None,
                 depthwise: str | None = None,
                 energy_table: str | Path | EnergyTable | None = None,
                 pack_shape: tuple[int, int] | None = None, name: Namer = str) -> MappingSpec:
    from flexsa.energy.table import EnergyTable, load_energy_table
    from flexsa.workloads.depthwise import parse_depthwise
    from flexsa.workloads.lowering import DgradForm

    policy = _choice(ModePolicy, mode_policy, name("mode_policy"), ConfigError)
    form = _choice(DgradForm, dgrad_form or "split", name("dgrad_form"), WorkloadError)
    table = (energy_table if isinstance(energy_table, EnergyTable)
             else load_energy_table(energy_table))
    shape = None if pack_shape is None else _pack_shape(pack_shape, name("pack_shape"))
    return MappingSpec(policy, form, parse_depthwise(depthwise or "simd", name("depthwise")),
                       table, shape)


def _pack_shape(value: object, field: str) -> tuple[int, int]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise WorkloadError(f"{field} must be (rows, cols), got {value!r}")
    return (positive(value[0], f"{field} rows", limit="array_dim", error=WorkloadError),
            positive(value[1], f"{field} cols", limit="array_dim", error=WorkloadError))


def _choice(kind: Any, value: object, field: str, error: type[Exception]) -> Any:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        raise error(f"{field} must be one of {', '.join(v.value for v in kind)}, "
                    f"got {value!r}") from None


def _gemms(gemms: Sequence[Gemm], name: Namer) -> tuple[Gemm, ...]:
    from flexsa.workloads.layers import Gemm

    items = tuple(gemms)
    if not items:
        raise ConfigError(f"{name('gemms')}: no GEMMs to simulate")
    if not all(isinstance(g, Gemm) for g in items):
        raise WorkloadError(f"{name('gemms')} must be a sequence of Gemm records")
    return items


def _model_workload(model: str | Path | Model, knobs: dict[str, Any],
                    name: Namer) -> WorkloadSpec:
    from flexsa.workloads.lowering import parse_phases
    from flexsa.workloads.sources import MAX_WIDTH_MULT, MIN_WIDTH_MULT

    if knobs["batch"] is None:
        raise WorkloadError(f"{name('model')} needs {name('batch')} (the mini-batch size, an "
                            "integer >= 1)")
    batch = positive(knobs["batch"], name("batch"), limit="batch", error=WorkloadError)
    phases = str(knobs["phases"] or "all").strip().lower()
    parse_phases(phases)
    width = as_float(1.0 if knobs["width_mult"] is None else knobs["width_mult"],
                     name("width_mult"), low=MIN_WIDTH_MULT, high=MAX_WIDTH_MULT,
                     error=WorkloadError)
    resolution = as_int(knobs["resolution"] or 0, f"{name('resolution')} (0: default)", low=0,
                        limit="resolution", error=WorkloadError)
    seq_len = as_int(knobs["seq_len"] or 0, f"{name('seq_len')} (0: default)", low=0,
                     limit="seq_len", error=WorkloadError)
    pruning = _pruning(knobs["pruning"], knobs["epoch"], name)
    if pruning is not None and (resolution or seq_len):
        raise WorkloadError(f"{name('pruning')} cannot be combined with "
                            f"{name('resolution')} or {name('seq_len')}: the trajectory is "
                            "of the model at its default input size")
    return WorkloadSpec(_model_ref(model, name), batch, (), phases, width, resolution,
                        seq_len, pruning, frozenset(knobs["skip_layers"] or ()))


def _model_ref(model: str | Path | Model, name: Namer) -> str | Model:
    from flexsa.workloads.model import Model
    from flexsa.workloads.sources import MODEL_SUFFIXES

    if isinstance(model, Model):
        return model
    if not isinstance(model, str | Path):
        raise WorkloadError(f"{name('model')} must be a zoo name, a model file or a Model, "
                            f"got {type(model).__name__}")
    path = Path(model)
    if path.suffix.lower() in MODEL_SUFFIXES or path.is_dir() or (path.suffix and path.exists()):
        from flexsa.paths import input_file

        input_file(path, "model file", WorkloadError)
        return str(path)
    from flexsa.workloads.zoo import canonical_name

    return canonical_name(str(model))


def _pruning(pruning: str | None, epoch: int | None, name: Namer) -> PruningSpec | None:
    if pruning is None or str(pruning).strip().lower() in ("", "none"):
        if epoch is not None:
            raise WorkloadError(f"{name('epoch')} applies only with {name('pruning')}; add "
                                f"{name('pruning')} or remove {name('epoch')}")
        return None
    if epoch is None:
        raise WorkloadError(f"{name('pruning')} needs {name('epoch')} (the training epoch "
                            "to simulate)")
    epoch = as_int(epoch, name("epoch"), low=0, limit="epochs", error=WorkloadError)
    text = str(pruning).strip()
    spec = PruningSpec(text, epoch)
    if spec.is_file:
        from flexsa.paths import input_file

        input_file(Path(text), "pruning trajectory", WorkloadError)
        return spec
    from flexsa.workloads.pruning import parse_strength

    try:
        label, _ = parse_strength(text)
    except WorkloadError:
        raise WorkloadError(f"{name('pruning')} must be low, high, a FLOPs fraction in (0, 1] "
                            f"or a trajectory .json file, got {pruning!r}") from None
    return PruningSpec(label, epoch)
