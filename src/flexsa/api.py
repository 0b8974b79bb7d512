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

if TYPE_CHECKING:
    import pandas as pd

    from flexsa.arch import ArchConfig
    from flexsa.pipeline import RunSpec, SimResult
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
    spec: RunSpec | None = None  # the validated run spec (flexsa.pipeline.run_spec)

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
        config: dict[str, Any] = {"arch": self.arch.as_dict(), "workload": workload,
                                  "memory": self.memory}
        if self.spec is not None:
            spec = self.spec.as_dict()
            config |= {"workload": {**spec["workload"], **workload},
                       "mapping": spec["mapping"], "memory_system": spec["memory"]}
        return {**self.result.as_dict(), **provenance(config)}


def simulate(arch: str | Path | ArchConfig, model: str | Path | Model | None = None, *,
             batch: int | None = None, gemms: Sequence[Gemm] | None = None,
             phases: str | None = None, memory: str | float = "ideal",
             width_mult: float | None = None, pruning: str | None = None,
             epoch: int | None = None, dgrad_form: str | None = None,
             overrides: Mapping[str, Any] | None = None, depthwise: str | None = None,
             resolution: int | None = None, seq_len: int | None = None,
             mode_policy: str = "auto", energy_table: str | Path | None = None) -> Simulation:
    """Simulate a model's training GEMMs (``model`` + ``batch``) or explicit ``gemms``.

    ``arch``: a preset name, a YAML file or an :class:`ArchConfig`; ``overrides``: dotted
    config fields (``{"core_rows": 64, "memory.gbuf_mib": 5}``). ``model``: a zoo name, a
    model file (``.onnx``) or a :class:`Model` (e.g. from ``import_torch``). ``pruning``:
    ``low``/``high``/a fraction/a trajectory JSON, evaluated at ``epoch``. ``depthwise``:
    ``simd`` (default; depthwise convs emit no GEMM), ``per-channel`` or ``packed`` (see
    :mod:`flexsa.workloads.depthwise`). The same run spec as ``flexsa simulate`` and the
    sweep (:func:`flexsa.pipeline.run_spec`): the same inputs are accepted and refused.
    """
    from flexsa.pipeline import evaluate, run_spec
    from flexsa.pipeline.stages import load_model

    spec = run_spec(arch, model, batch=batch, gemms=gemms, phases=phases, memory=memory,
                    width_mult=width_mult, resolution=resolution, seq_len=seq_len,
                    pruning=pruning, epoch=epoch, dgrad_form=dgrad_form, depthwise=depthwise,
                    mode_policy=mode_policy, energy_table=energy_table, overrides=overrides)
    result = evaluate(spec)
    loaded = load_model(spec.workload) if spec.workload.is_model else None
    return Simulation(spec.arch, loaded, spec.workload.batch,
                      tuple(stats.gemm for stats in result.per_gemm), memory, result, spec)


def sweep(spec: str | Path | Mapping[str, Any], out: str | Path | None = None, *,
          jobs: int = 1, scheduler: Any = None) -> pd.DataFrame:
    """Run (or resume) a sweep and return one row per point as a DataFrame.

    ``spec``: a YAML file or the same structure as a dict (files in it are relative to the
    current directory). ``out``: the SQLite store (kept; a rerun skips finished points);
    None uses a temporary store. ``scheduler``: a Dask address or ``distributed.Client``.
    """
    from flexsa.sweeps import load_spec, run_sweep, sweep_frame

    parsed = load_spec(spec)
    if out is not None:
        run_sweep(parsed, out, jobs=jobs, scheduler=scheduler)
        return sweep_frame(out)
    with tempfile.TemporaryDirectory(prefix="flexsa-sweep-") as tmp:
        store = Path(tmp) / "sweep.sqlite"
        run_sweep(parsed, store, jobs=jobs, scheduler=scheduler)
        return sweep_frame(store)


__all__ = ["Simulation", "simulate", "sweep"]
