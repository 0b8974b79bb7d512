"""Emission of the explicit per-unit instruction streams of a compiled GEMM.

Only for inspection (``flexsa compile``), functional verification and the reference
simulator: the fast simulator works on the compressed :class:`~flexsa.compiler.plan.GemmPlan`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from flexsa.arch.config import ArchConfig
from flexsa.compiler.isa import (
    ExecGEMM,
    Instruction,
    LdLBUF_H,
    LdLBUF_V,
    SetMode,
    ShiftV,
    StLBUF,
    Sync,
    format_instruction,
    from_record,
    to_record,
)
from flexsa.compiler.modes import Mode
from flexsa.compiler.plan import GemmPlan, PartPlan, compile_gemm
from flexsa.errors import FlexsaError
from flexsa.workloads.layers import Gemm

MAX_EMITTED_WAVES = 2_000_000


@dataclass(frozen=True)
class UnitProgram:
    """The instruction stream of one unit (a FlexSA unit or a plain core)."""

    group: int
    unit: int
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Program:
    """A GEMM's program: global dims (``instances`` stacked copies) and every unit's stream.

    With ``reduce`` (weight gradients on several groups) each group writes a partial ``C``
    and the partials are summed.
    """

    arch: str
    m: int
    n: int
    k: int
    instances: int
    axis: str
    reduce: bool
    units: tuple[UnitProgram, ...]

    @property
    def instruction_count(self) -> int:
        return sum(len(u.instructions) for u in self.units)

    def header(self) -> dict[str, object]:
        return {"program": "flexsa", "arch": self.arch, "m": self.m, "n": self.n, "k": self.k,
                "instances": self.instances, "axis": self.axis, "reduce": self.reduce}

    def to_jsonl(self) -> str:
        lines = [json.dumps(self.header())]
        for unit in self.units:
            for instr in unit.instructions:
                lines.append(json.dumps({"group": unit.group, "unit": unit.unit,
                                         **to_record(instr)}, separators=(",", ":")))
        return "\n".join(lines) + "\n"

    def listing(self) -> Iterator[str]:
        yield (f"; {self.arch}: C[{self.m},{self.n}] = A[{self.m},{self.k}] @ B[{self.k},"
               f"{self.n}] x{self.instances}, partitioned along {self.axis.upper()}"
               + (" (group partial outputs reduced)" if self.reduce else ""))
        for unit in self.units:
            yield f"; group {unit.group} unit {unit.unit}: {len(unit.instructions)} instructions"
            for pc, instr in enumerate(unit.instructions):
                yield f"{pc:6d}  {format_instruction(instr)}"


def program_from_jsonl(text: str) -> Program:
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise FlexsaError("empty program file")
    head = json.loads(lines[0])
    streams: dict[tuple[int, int], list[Instruction]] = {}
    for line in lines[1:]:
        record = json.loads(line)
        key = (int(record.pop("group")), int(record.pop("unit")))
        streams.setdefault(key, []).append(from_record(record))
    units = tuple(UnitProgram(g, u, tuple(instrs)) for (g, u), instrs in streams.items())
    return Program(str(head["arch"]), int(head["m"]), int(head["n"]), int(head["k"]),
                   int(head["instances"]), str(head["axis"]), bool(head["reduce"]), units)


def _emit_part(arch: ArchConfig, gemm: Gemm, plan: PartPlan) -> list[UnitProgram]:
    part = plan.part
    units = plan.units
    streams: list[list[Instruction]] = [[] for _ in range(units)]
    current: list[Mode | None] = [None] * units
    waves = [0] * units
    tiles = [0] * units
    stat_half = arch.lbuf_stationary_elems * arch.cores_per_unit
    stream_half = arch.lbuf_streamed_elems * arch.cores_per_unit
    out_half = arch.lbuf_output_elems * arch.cores_per_unit
    m_total, n_total, k_total = gemm.m, gemm.n, gemm.k
    order = 0  # output tiles (tile allocation) or waves (wave allocation) handed out
    for inst in range(part.instances):
        for n_idx, (n0, n) in enumerate(plan.n_dim.tiles()):
            for m_off, m in plan.m_dim.tiles():
                visited: list[int] = []
                if not plan.by_wave:
                    order += 1
                row = part.m0 + m_off
                for k_idx, (k_off, k) in enumerate(plan.k_dim.tiles()):
                    u = order % units if plan.by_wave else (order - 1) % units
                    order += 1 if plan.by_wave else 0
                    if u not in visited:
                        visited.append(u)
                    mode = plan.mode_of(plan.n_dim.cls_of(n_idx), plan.k_dim.cls_of(k_idx))
                    if mode != current[u]:
                        streams[u].append(SetMode(mode, arch.blk_m, arch.blk_n, arch.blk_k))
                        current[u] = mode
                    half = waves[u] % 2
                    waves[u] += 1
                    col = part.k0 + k_off
                    b_ptr = inst * k_total * n_total + col * n_total + n0
                    a_ptr = inst * m_total * k_total + row * k_total + col
                    streams[u] += [LdLBUF_V(b_ptr, half * stat_half, k, n), ShiftV(k, n),
                                   LdLBUF_H(a_ptr, half * stream_half, k, m),
                                   ExecGEMM(mode, m, n, k)]
                c_ptr = inst * m_total * n_total + row * n_total + n0
                for u in visited:  # each unit stores (its partial sum of) the tile
                    streams[u].append(StLBUF((tiles[u] % 2) * out_half, c_ptr, m, n))
                    tiles[u] += 1
    return [UnitProgram(part.group, u, (*stream, Sync())) for u, stream in enumerate(streams)]


def emit_program(arch: ArchConfig, plan: GemmPlan) -> Program:
    """Materialise every unit's instruction stream (refuses absurdly large programs)."""
    waves = sum(p.waves for p in plan.parts)
    if waves > MAX_EMITTED_WAVES:
        raise FlexsaError(f"the program has {waves:,} waves; emit programs only for GEMMs "
                          f"with at most {MAX_EMITTED_WAVES:,} waves")
    units: list[UnitProgram] = []
    for part in plan.parts:
        units += _emit_part(arch, plan.gemm, part)
    gemm = plan.gemm
    return Program(arch.name, gemm.m, gemm.n, gemm.k, gemm.groups, plan.axis,
                   plan.axis == "k" and len(plan.parts) > 1, tuple(units))


def compile_program(arch: ArchConfig, gemm: Gemm, policy: str = "auto") -> Program:
    return emit_program(arch, compile_gemm(arch, gemm, policy))
