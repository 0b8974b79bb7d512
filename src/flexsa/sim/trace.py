"""Wave-by-wave (instruction-level) timing of explicit programs.

Walks every unit's instruction stream and applies the wave timing rules to each pair of
consecutive waves. Slow (one step per wave) but obviously faithful; the fast model must
equal it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import WaveShape, wave_cycles
from flexsa.compiler.isa import ExecGEMM
from flexsa.compiler.modes import MODE_KEYS
from flexsa.compiler.plan import wave_shape
from flexsa.compiler.program import Program, UnitProgram


@dataclass(frozen=True)
class UnitTrace:
    group: int
    unit: int
    cycles: int
    starts: tuple[int, ...]
    waves_by_mode: dict[str, int]
    cycles_by_mode: dict[str, int]


def trace_unit(arch: ArchConfig, unit: UnitProgram) -> UnitTrace:
    switch = arch.switch_timing
    waves = {key: 0 for key in MODE_KEYS}  # by wave shape mode name
    busy = dict(waves)
    starts: list[int] = []
    prev: WaveShape | None = None
    now = 0
    for instr in unit.instructions:
        if not isinstance(instr, ExecGEMM):
            continue
        shape = wave_shape(arch, instr.mode, instr.m, instr.k)
        step = wave_cycles(prev, shape, switch)
        busy[(prev or shape).mode] += step
        now += step
        starts.append(now)
        waves[shape.mode] += 1
        prev = shape
    end = 0
    if prev is not None:
        tail = wave_cycles(prev, None, switch)
        busy[prev.mode] += tail
        end = now + tail
    return UnitTrace(unit.group, unit.unit, end, tuple(starts), waves, busy)


def trace_program(arch: ArchConfig, prog: Program) -> tuple[int, list[UnitTrace]]:
    """(cycles of the GEMM, per-unit traces): the GEMM ends when its slowest unit does."""
    traces = [trace_unit(arch, unit) for unit in prog.units]
    return max(t.cycles for t in traces), traces
