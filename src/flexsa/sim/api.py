"""Public simulation entry points."""

from __future__ import annotations

from collections.abc import Iterable

from flexsa.arch.config import ArchConfig
from flexsa.errors import ConfigError
from flexsa.sim.result import SimResult
from flexsa.workloads.layers import Gemm
from flexsa.workloads.model import Model

MEMORY_MODES = ("ideal",)


def _check_memory(memory: object) -> str:
    if memory != "ideal":
        raise ConfigError(f"memory={memory!r} is not supported by the core simulator; "
                          "use 'ideal'")
    return "ideal"


def simulate_gemms(arch: ArchConfig, gemms: Iterable[Gemm], *, memory: str | float = "ideal",
                   mode_policy: str = "auto") -> SimResult:
    """Simulate GEMMs one after the other (each starts on idle units) with the fast model."""
    from flexsa.sim.fast import result_from_stats, simulate_gemm_stats

    label = _check_memory(memory)
    items = list(gemms)
    if not items:
        raise ConfigError("no GEMMs to simulate")
    return result_from_stats(arch, simulate_gemm_stats(arch, items, mode_policy), label)


def simulate_model(arch: ArchConfig, model: Model, batch: int, *, phases: str = "all",
                   memory: str | float = "ideal", dgrad_form: str = "split",
                   mode_policy: str = "auto") -> SimResult:
    """Simulate every training GEMM of ``model`` at ``batch`` (the selected phases)."""
    from flexsa.workloads.lowering import lower_model

    gemms = lower_model(model, batch, phases, dgrad_form)
    return simulate_gemms(arch, gemms, memory=memory, mode_policy=mode_policy)
