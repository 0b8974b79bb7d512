"""The Python API: the CLI's ``simulate`` and ``sweep`` as functions.

>>> import flexsa
>>> run = flexsa.simulate("1G1F", "resnet50", batch=32)         # doctest: +SKIP
>>> run.cycles, run.pe_utilization                              # doctest: +SKIP
>>> frame = flexsa.sweep({"arch": ["1G1C", "1G1F"], "model": ["resnet50"]})  # doctest: +SKIP

``flexsa.simulate`` returns a typed :class:`Simulation`; ``flexsa.sweep`` returns a pandas
DataFrame with one row per point (the same rows as ``flexsa sweep show --csv``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flexsa.errors import WorkloadError

if TYPE_CHECKING:
    import pandas as pd

    from flexsa.arch import ArchConfig
    from flexsa.sim import SimResult
    from flexsa.workloads.layers import Gemm
    from flexsa.workloads.model import Model


@dataclass(frozen=True)
class Simulation:
    """One simulation: what ran (accelerator, workload, memory) and its :class:`SimResult`."""

    arch: ArchConfig
    model: Model | None
    batch: int
    gemms: tuple[Gemm, ...]
    memory: str | float
    result: SimResult

    @property
    def cycles(self) -> int:
        return self.result.cycles

    @property
    def pe_utilization(self) -> float:
        return self.result.pe_utilization

    @property
    def macs(self) -> int:
        return self.result.macs

    def as_dict(self) -> dict[str, Any]:
        """The ``flexsa simulate --json`` form: result plus provenance (config, version)."""
        from flexsa.report.output import provenance

        workload = {"model": self.model.name if self.model is not None else None,
                    "batch": self.batch, "gemms": len(self.gemms)}
        return {**self.result.as_dict(),
                **provenance({"arch": self.arch.as_dict(), "workload": workload,
                              "memory": self.memory})}


def _arch(arch: str | Path | ArchConfig, overrides: Mapping[str, Any] | None) -> ArchConfig:
    from flexsa.arch import ArchConfig, load_arch, with_overrides

    config = arch if isinstance(arch, ArchConfig) else load_arch(arch)
    return with_overrides(config, dict(overrides)) if overrides else config


def _model(model: str | Path | Model, width_mult: float, pruning: str | None,
           epoch: int | None) -> Model:
    from flexsa.workloads.model import Model
    from flexsa.workloads.sources import load_workload

    if pruning is not None and pruning != "none":
        if epoch is None:
            raise WorkloadError("pruning needs epoch=E (the training epoch to simulate)")
        from flexsa.workloads.pruning import make_trajectory

        source = model if isinstance(model, Model) else str(model)
        if isinstance(source, str) and Path(source).suffix:
            source = load_workload(source)
        base = make_trajectory(source, pruning).model_at(epoch)
        return base if width_mult == 1.0 else base.scaled(width_mult)
    if isinstance(model, Model):
        return model if width_mult == 1.0 else model.scaled(width_mult)
    return load_workload(str(model), width_mult=width_mult)


def simulate(arch: str | Path | ArchConfig, model: str | Path | Model | None = None, *,
             batch: int | None = None, gemms: Sequence[Gemm] | None = None,
             phases: str = "all", memory: str | float = "ideal", width_mult: float = 1.0,
             pruning: str | None = None, epoch: int | None = None,
             dgrad_form: str = "split", overrides: Mapping[str, Any] | None = None,
             depthwise: str = "simd") -> Simulation:
    """Simulate a model's training GEMMs (``model`` + ``batch``) or explicit ``gemms``.

    ``arch``: a preset name, a YAML file or an :class:`ArchConfig`; ``overrides``: dotted
    config fields (``{"core_rows": 64, "memory.gbuf_mib": 5}``). ``model``: a zoo name, a
    model file (``.onnx``) or a :class:`Model` (e.g. from ``import_torch``). ``pruning``:
    ``low``/``high``/a fraction, evaluated at ``epoch``. ``depthwise``: ``simd`` (default;
    depthwise convs emit no GEMM), ``per-channel`` or ``packed`` (see
    :mod:`flexsa.workloads.depthwise`).
    """
    from flexsa.sim import simulate_gemms
    from flexsa.workloads.lowering import lower_model

    config = _arch(arch, overrides)
    if (model is None) == (gemms is None):
        raise WorkloadError("give exactly one of model=... (with batch=B) or gemms=[...]")
    if gemms is not None:
        items, loaded, size = tuple(gemms), None, 0
    else:
        assert model is not None
        if isinstance(batch, bool) or not isinstance(batch, int) or batch <= 0:
            raise WorkloadError(f"batch must be a positive integer, got {batch!r}")
        loaded = _model(model, width_mult, pruning, epoch)
        items, size = tuple(lower_model(loaded, batch, phases, dgrad_form, depthwise,
                                        (config.blk_k, config.blk_n))), batch
    result = simulate_gemms(config, items, memory=memory)
    if loaded is not None:
        from dataclasses import replace

        from flexsa.sim.simd import simd_cycles
        from flexsa.workloads.depthwise import describe

        result = replace(result, simd_cycles=simd_cycles(loaded, size, config, memory=memory,
                                                         phases=phases, depthwise=depthwise),
                         depthwise=describe(loaded, depthwise, (config.blk_k, config.blk_n)))
    return Simulation(config, loaded, size, items, memory, result)


def sweep(spec: str | Path | Mapping[str, Any], out: str | Path | None = None, *,
          jobs: int = 1, scheduler: Any = None) -> pd.DataFrame:
    """Run (or resume) a sweep and return one row per point as a DataFrame.

    ``spec``: a YAML file or the same structure as a dict (files in it are relative to the
    current directory). ``out``: the SQLite store (kept; a rerun skips finished points);
    None uses a temporary store. ``scheduler``: a Dask address or ``distributed.Client``.
    """
    from flexsa.sweep import load_spec, run_sweep, sweep_frame

    parsed = load_spec(spec)
    if out is not None:
        run_sweep(parsed, out, jobs=jobs, scheduler=scheduler)
        return sweep_frame(out)
    with tempfile.TemporaryDirectory(prefix="flexsa-sweep-") as tmp:
        store = Path(tmp) / "sweep.sqlite"
        run_sweep(parsed, store, jobs=jobs, scheduler=scheduler)
        return sweep_frame(store)


__all__ = ["Simulation", "simulate", "sweep"]
