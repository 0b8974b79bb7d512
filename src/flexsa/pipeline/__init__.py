"""The evaluation pipeline: one typed run spec, staged evaluation, one result.

>>> from flexsa.pipeline import evaluate, run_spec
>>> result = evaluate(run_spec("1G1F", "resnet50", batch=32, memory="hbm2"))  # doctest: +SKIP

:func:`run_spec` validates a run once (:mod:`flexsa.pipeline.spec`); :func:`evaluate` runs
its stages (:mod:`flexsa.pipeline.stages`) and builds one :class:`SimResult`
(:mod:`flexsa.pipeline.result`). The Python API (``flexsa.simulate``), ``flexsa simulate``,
the sweep and the FlexSA reproduction all go through here. :func:`simulate_gemms` and
:func:`simulate_model` are shorthands for the two kinds of workload.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flexsa.pipeline.result import Energy, SimResult
from flexsa.pipeline.spec import (
    MappingSpec,
    ModePolicy,
    PruningSpec,
    RunSpec,
    WorkloadSpec,
    run_spec,
)
from flexsa.pipeline.stages import evaluate, evaluate_memories

if TYPE_CHECKING:
    from flexsa.arch.config import ArchConfig
    from flexsa.workloads.layers import Gemm
    from flexsa.workloads.model import Model


def simulate_gemms(arch: ArchConfig, gemms: Iterable[Gemm], *, memory: str | float = "ideal",
                   mode_policy: str = "auto", energy_table: str | None = None) -> SimResult:
    """GEMMs one after the other (each on idle units): ``evaluate(run_spec(...))``.

    ``memory``: ``"ideal"``, ``"hbm2"`` or a DRAM bandwidth in GB/s."""
    return evaluate(run_spec(arch, gemms=list(gemms), memory=memory, mode_policy=mode_policy,
                             energy_table=energy_table))


def simulate_model(arch: ArchConfig, model: Model, batch: int, **options: Any) -> SimResult:
    """Every training GEMM of ``model`` at ``batch`` plus its element-wise layers on the
    SIMD unit (``simd_cycles``); ``options`` are :func:`run_spec`'s (``phases``,
    ``memory``, ``dgrad_form``, ``depthwise``, ``mode_policy``, ``energy_table`` ...)."""
    return evaluate(run_spec(arch, model, batch=batch, **options))


__all__ = ["Energy", "MappingSpec", "ModePolicy", "PruningSpec", "RunSpec", "SimResult",
           "WorkloadSpec", "evaluate", "evaluate_memories", "run_spec", "simulate_gemms",
           "simulate_model"]
