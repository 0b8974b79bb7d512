"""Non-GEMM layers (normalisation, activation, element-wise, pooling) on the SIMD unit.

Every :class:`~flexsa.workloads.layers.ElementwiseLayer` of a model runs on a SIMD array of
``simd_gflops`` (500 GFLOPS default, 1/50 of the systolic throughput), one layer at a time,
no fusion, so each layer reads its inputs and writes its output through memory:

* forward: reads ``inputs`` tensors and writes one, ``flops_per_element`` FLOPs per output;
* backward: reads the output gradient and the ``inputs`` saved tensors, writes ``inputs``
  input gradients, twice the forward FLOPs.

A layer's time is ``max(flops / (FLOPs per cycle), bytes / bandwidth)`` where the bandwidth
is the GBUF's (groups x GBUF->LBUF bytes per cycle) when the layer's tensors fit in half the
GBUF, and the DRAM's otherwise (infinite for ``memory="ideal"``). Tensors are FP16.

Depthwise convolutions lowered with ``depthwise="simd"`` (the default, see
:mod:`flexsa.workloads.depthwise`) run here too, one phase at a time: 2 FLOPs per MAC;
forward reads the input and the weights and writes the output; the data gradient reads the
output gradient and the weights and writes the input gradient; the weight gradient reads the
input and the output gradient and writes the weight gradient (the first layer of a model
has no data gradient). Their cycles are part of ``simd_cycles``, not of the array's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flexsa.arch.config import ArchConfig
from flexsa.errors import ConfigError
from flexsa.sim.memory_spec import MemorySpec, parse_memory
from flexsa.validation import as_float, positive
from flexsa.workloads.layers import ElementwiseLayer

DEFAULT_SIMD_GFLOPS = 500.0
BACKWARD_FLOP_FACTOR = 2


@dataclass(frozen=True)
class SimdResult:
    """SIMD time and work of a model's element-wise layers for one training iteration."""

    fwd_cycles: int
    bwd_cycles: int
    flops: int
    bytes: int

    @property
    def cycles(self) -> int:
        return self.fwd_cycles + self.bwd_cycles

    def as_dict(self) -> dict[str, int]:
        return {"simd_cycles": self.cycles, "simd_fwd_cycles": self.fwd_cycles,
                "simd_bwd_cycles": self.bwd_cycles, "simd_flops": self.flops,
                "simd_bytes": self.bytes}


def _layer_cycles(flops: int, nbytes: int, flops_per_cycle: float, gbuf_bpc: float,
                  dram_bpc: float, gbuf_half: float) -> int:
    bandwidth = gbuf_bpc if nbytes <= gbuf_half else dram_bpc
    memory = 0.0 if math.isinf(bandwidth) else nbytes / bandwidth
    return math.ceil(max(flops / flops_per_cycle, memory))


def simd_breakdown(layers: tuple[ElementwiseLayer, ...] | list[ElementwiseLayer], batch: int,
                   arch: ArchConfig, *, memory: str | float | MemorySpec = "hbm2",
                   simd_gflops: float = DEFAULT_SIMD_GFLOPS, forward: bool = True,
                   backward: bool = True, element_bytes: int = 2) -> SimdResult:
    """SIMD cycles (forward, backward), FLOPs and bytes of ``layers`` at ``batch``."""
    as_float(simd_gflops, "--simd-gflops", low=0.0, low_open=True, error=ConfigError)
    positive(batch, "batch", error=ConfigError, strict=True)
    spec = parse_memory(memory, arch)
    flops_per_cycle = simd_gflops / arch.clock_ghz
    gbuf_bpc = spec.gbuf_to_lbuf_bytes_per_cycle * arch.groups
    gbuf_half = arch.memory.gbuf_mib * 2**20 / 2
    fwd = bwd = flops_total = bytes_total = 0
    for layer in layers:
        elements = layer.elements * batch
        flops = elements * layer.flops_per_element
        nbytes = elements * (layer.inputs + 1) * element_bytes
        if forward:
            fwd += _layer_cycles(flops, nbytes, flops_per_cycle, gbuf_bpc,
                                 spec.dram_bytes_per_cycle, gbuf_half)
            flops_total += flops
            bytes_total += nbytes
        if backward:
            bflops = BACKWARD_FLOP_FACTOR * flops
            bbytes = elements * (1 + 2 * layer.inputs) * element_bytes
            bwd += _layer_cycles(bflops, bbytes, flops_per_cycle, gbuf_bpc,
                                 spec.dram_bytes_per_cycle, gbuf_half)
            flops_total += bflops
            bytes_total += bbytes
    return SimdResult(fwd, bwd, flops_total, bytes_total)


def depthwise_breakdown(model: Any, batch: int, arch: ArchConfig, *,
                        memory: str | float | MemorySpec = "hbm2",
                        simd_gflops: float = DEFAULT_SIMD_GFLOPS, phases: Any = "all",
                        element_bytes: int = 2) -> SimdResult:
    """SIMD time of ``model``'s depthwise convolutions (the selected training phases)."""
    from flexsa.workloads.depthwise import depthwise_convs
    from flexsa.workloads.layers import Phase
    from flexsa.workloads.lowering import parse_phases

    as_float(simd_gflops, "--simd-gflops", low=0.0, low_open=True, error=ConfigError)
    spec = parse_memory(memory, arch)
    rate = simd_gflops / arch.clock_ghz
    gbuf_bpc = spec.gbuf_to_lbuf_bytes_per_cycle * arch.groups
    gbuf_half = arch.memory.gbuf_mib * 2**20 / 2
    selected = parse_phases(phases)
    fwd = bwd = flops_total = bytes_total = 0
    for layer in depthwise_convs(model):
        flops = 2 * batch * layer.macs
        tensors = batch * (layer.cin * layer.hin * layer.win + layer.cout * layer.hout
                           * layer.wout) + layer.weight_params
        nbytes = tensors * element_bytes
        for phase in selected:
            if phase is Phase.DGRAD and model.reads_model_input(layer.name):
                continue
            cycles = _layer_cycles(flops, nbytes, rate, gbuf_bpc, spec.dram_bytes_per_cycle,
                                   gbuf_half)
            if phase is Phase.FWD:
                fwd += cycles
            else:
                bwd += cycles
            flops_total += flops
            bytes_total += nbytes
    return SimdResult(fwd, bwd, flops_total, bytes_total)


@dataclass(frozen=True)
class SimdTiming:
    """The SIMD unit's share of a model run: element-wise layers and, with
    ``depthwise="simd"``, the depthwise convolutions (``None`` otherwise)."""

    elementwise: SimdResult
    depthwise: SimdResult | None = None

    @property
    def cycles(self) -> int:
        extra = self.depthwise.cycles if self.depthwise is not None else 0
        return self.elementwise.cycles + extra


def simd_timing(model: Any, batch: int, arch: ArchConfig, *,
                memory: str | float | MemorySpec = "hbm2",
                simd_gflops: float = DEFAULT_SIMD_GFLOPS, phases: Any = "all",
                depthwise: str = "simd") -> SimdTiming:
    """SIMD time of ``model``'s element-wise layers for one training iteration (forward
    and backward; ``phases="fwd"``: forward only; only dgrad/wgrad: backward only), plus
    its depthwise convolutions when they are lowered with ``depthwise="simd"``.
    Reported separately from the GEMM cycles."""
    from flexsa.workloads.depthwise import DepthwiseLowering, parse_depthwise

    forward, backward = simd_passes(phases)
    elementwise = simd_breakdown(model.elementwise_layers, batch, arch, memory=memory,
                                 simd_gflops=simd_gflops, forward=forward, backward=backward)
    if parse_depthwise(depthwise) is not DepthwiseLowering.SIMD:
        return SimdTiming(elementwise)
    return SimdTiming(elementwise, depthwise_breakdown(model, batch, arch, memory=memory,
                                                       simd_gflops=simd_gflops, phases=phases))


def simd_cycles(model: Any, batch: int, arch: ArchConfig, *,
                memory: str | float | MemorySpec = "hbm2",
                simd_gflops: float = DEFAULT_SIMD_GFLOPS, phases: Any = "all",
                depthwise: str = "simd") -> int:
    """The cycles of :func:`simd_timing`."""
    return simd_timing(model, batch, arch, memory=memory, simd_gflops=simd_gflops,
                       phases=phases, depthwise=depthwise).cycles


def simd_passes(phases: Any) -> tuple[bool, bool]:
    """(forward, backward) SIMD passes needed for the selected GEMM phases."""
    from flexsa.workloads.layers import Phase
    from flexsa.workloads.lowering import parse_phases

    selected = set(parse_phases(phases))
    return Phase.FWD in selected, bool(selected & {Phase.DGRAD, Phase.WGRAD})
