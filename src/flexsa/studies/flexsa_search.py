"""Beyond the paper: the search tiler and the independent-core bound on pruned ResNet50.

The tiler and the bound are :mod:`flexsa.compiler.search`; this study runs them on the most
pruned model of each strength and compares with the simulated independent cores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flexsa.compiler.search import independent_core_bound, search_gemms
from flexsa.report.evaluation.matrix import EvalSettings
from flexsa.studies.flexsa_backend import Backend

SEARCH_RUNS: tuple[str, ...] = ("resnet50_low", "resnet50_high")
BOUND_OF: dict[str, str] = {"1G1F": "1G4C", "4G1F": "4G4C"}


def search_study(backend: Backend, settings: EvalSettings,
                 configs: Sequence[str] = ("1G1F", "4G1F")) -> dict[str, Any]:
    """Heuristic, search and bound utilization of the final pruned ResNet50 models.

    The search costs ~100x the heuristic per GEMM, so it runs on the most pruned model of
    each strength (the last interval, where irregular channel counts matter most) rather
    than on every interval; ideal memory.
    """
    from flexsa.studies.flexsa_backend import ToolkitBackend

    if not isinstance(backend, ToolkitBackend):
        return {}
    out: dict[str, Any] = {"scope": "last pruning interval of each strength, ideal memory"}
    for variant in (v for v in settings.variants if v.run in SEARCH_RUNS):
        interval, model = backend.instances(variant, settings.epochs, settings.interval,
                                            settings.seed)[-1]
        workload = backend.workload(model, variant.batch, settings.dgrad_form,
                                    depthwise=settings.depthwise)
        out[variant.run] = {"epochs": [interval.epoch_start, interval.epoch_end],
                            **{c: _compare(backend, c, workload) for c in configs}}
    return out


def _compare(backend: Any, config: str, workload: Any) -> dict[str, Any]:
    arch = backend.arch(config)
    totals = search_gemms(arch, workload.gemms, {})
    pes = arch.total_pes
    heuristic = totals.macs / (pes * totals.heuristic_cycles)
    search = totals.macs / (pes * totals.search_cycles)
    bound = independent_core_bound(arch, workload.gemms)
    plain = backend.simulate(BOUND_OF[config], workload, "ideal").pe_utilization
    return {"heuristic_pe_utilization": heuristic, "search_pe_utilization": search,
            "independent_core_bound": bound, "independent_cores_simulated": plain,
            "independent_cores_config": BOUND_OF[config],
            "heuristic_gap_to_bound": bound - heuristic, "search_gap_to_bound": bound - search,
            "search_speedup_vs_heuristic": totals.heuristic_cycles / totals.search_cycles,
            "search_traffic_vs_heuristic": totals.search_traffic / totals.heuristic_traffic}


def beyond_paper(backend: Backend, settings: EvalSettings) -> dict[str, Any]:
    """``{"beyond_paper": ...}`` for summary.json (empty if the study is not selected)."""
    if "search" not in settings.studies or not any(
            v.run in SEARCH_RUNS for v in settings.selected_variants):
        return {}
    return {"beyond_paper": search_study(backend, settings)}
