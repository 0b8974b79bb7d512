"""A small stand-in simulator for the evaluation tests (no core/memory needed)."""

from __future__ import annotations

from typing import Any

from flexsa.report.evaluation.matrix import Interval, Variant
from flexsa.report.evaluation.records import Metrics
from flexsa.studies.flexsa_backend import Workload

UTIL = {"1G1C": 0.5, "1G4C": 0.7, "4G4C": 0.8, "1G1F": 0.68, "4G1F": 0.78, "16G4C": 0.85}
TRAFFIC = {"1G1C": 1.0, "1G4C": 1.6, "4G4C": 3.0, "1G1F": 1.1, "4G1F": 2.0, "16G4C": 6.0}
PES = 16384


class FakeModel:
    def __init__(self, name: str, macs: int) -> None:
        self.name, self.macs = name, macs


class FakeBackend:
    """Deterministic numbers: utilization per config, pruning lowers utilization a bit."""

    def __init__(self) -> None:
        self.simulated: list[tuple[str, str, str]] = []

    def describe(self) -> dict[str, Any]:
        return {"backend": "fake"}

    def instances(self, variant: Variant, epochs: int, interval: int,
                  seed: int) -> list[tuple[Interval, Any]]:
        if variant.strength is None:
            return [(Interval(0, epochs, 1.0), FakeModel(variant.run, 1000))]
        # three unequal intervals: 10, 20 and 60 epochs
        bounds = [(0, 10, 1.0), (10, 30, 0.7), (30, epochs, 0.4)]
        return [(Interval(a, b, r, index=i), FakeModel(f"{variant.run}@{a}", int(1000 * r)))
                for i, (a, b, r) in enumerate(bounds)]

    def workload(self, model: Any, batch: int, dgrad_form: str, depthwise: str = "simd",
                 arch_name: str = "") -> Workload:
        return Workload(model, batch, (), depthwise)

    def simulate(self, arch_name: str, workload: Workload, memory: str) -> Metrics:
        self.simulated.append((arch_name, workload.model.name, memory))
        model = workload.model
        macs = model.macs * 1_000_000
        util = UTIL[arch_name] * (0.9 if memory == "hbm2" else 1.0) * (model.macs / 1000) ** 0.1
        cycles = int(round(macs / (PES * util)))
        flexsa = arch_name.endswith("F")
        waves = {"FW": 80, "HSW": 10, "VSW": 6, "ISW": 4, "core": 0} if flexsa else \
            {"FW": 0, "HSW": 0, "VSW": 0, "ISW": 0, "core": 100}
        traffic = int(TRAFFIC[arch_name] * model.macs * 1000)
        energy = {"comp": 100.0 * model.macs, "lbuf": 10.0 * model.macs,
                  "gbuf": 20.0 * TRAFFIC[arch_name] * model.macs, "dram": 30.0 * model.macs,
                  "overcore": 2.0 * model.macs if flexsa else 0.0, "forwarding": 1.0}
        energy["total"] = sum(energy.values())
        return Metrics(cycles=cycles, macs=macs, pe_utilization=macs / (PES * cycles),
                       total_pes=PES, stall_cycles=cycles // 10 if memory == "hbm2" else 0,
                       simd_cycles=1000, waves_by_mode=waves, cycles_by_mode=waves,
                       gbuf_to_lbuf_stationary=traffic // 4,
                       gbuf_to_lbuf_streamed=traffic - traffic // 4,
                       lbuf_to_gbuf=traffic // 2, overcore=traffic // 8 if flexsa else 0,
                       dram_to_gbuf=traffic // 3, gbuf_to_dram=traffic // 5, energy_pj=energy)

    def simulate_many(self, arch_name: str, workload: Workload,
                      memories: list[str]) -> dict[str, Metrics]:
        return {m: self.simulate(arch_name, workload, m) for m in memories}

    def area_mm2(self, arch_name: str) -> dict[str, float]:
        base = {"1G1C": 100.0, "1G4C": 104.0, "4G4C": 115.0, "16G4C": 140.0, "1G1F": 105.0}
        return {"pe": 80.0, "sram": 15.0, "wires": base[arch_name] - 95.0,
                "total": base[arch_name]}

    def arch_dict(self, arch_name: str) -> dict[str, Any]:
        return {"name": arch_name}
