"""The FlexSA instruction set (spec section 4.4): records, JSON-lines form and a listing.

GBUF pointers are element offsets into the operand they address, in the coordinates of the
whole GEMM: ``A`` (m x k, row-major, instances stacked), ``B`` (k x n) and ``C`` (m x n).
LBUF pointers select a half of the double buffer (``half * half_size``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from flexsa.compiler.modes import Mode
from flexsa.errors import FlexsaError


def decode_gbuf_ptr(ptr: int, rows: int, cols: int) -> tuple[int, int, int]:
    """(instance, row, column) of a GBUF pointer into a ``rows x cols`` operand."""
    inst, rest = divmod(ptr, rows * cols)
    row, col = divmod(rest, cols)
    return inst, row, col


@dataclass(frozen=True)
class SetMode:
    """Configure the unit's data paths for ``mode`` and the wave block sizes."""

    mode: Mode
    blk_m: int
    blk_n: int
    blk_k: int


@dataclass(frozen=True)
class LdLBUF_V:  # noqa: N801 (ISA mnemonic)
    """Load a ``k x n`` stationary tile GBUF (B) -> top LBUF."""

    gbuf_ptr: int
    lbuf_ptr: int
    k: int
    n: int


@dataclass(frozen=True)
class ShiftV:
    """Shift the stationary tile from the top LBUF into the PEs (``k`` shifts)."""

    k: int
    n: int


@dataclass(frozen=True)
class LdLBUF_H:  # noqa: N801 (ISA mnemonic)
    """Load ``m`` streamed rows of ``k`` elements GBUF (A) -> left LBUF."""

    gbuf_ptr: int
    lbuf_ptr: int
    k: int
    m: int


@dataclass(frozen=True)
class ExecGEMM:  # noqa: N801 (ISA mnemonic)
    """Run the wave (its sub-waves in sub-wave modes): ``m`` rows through a ``k x n`` tile."""

    mode: Mode
    m: int
    n: int
    k: int


@dataclass(frozen=True)
class StLBUF:  # noqa: N801 (ISA mnemonic)
    """Store the finished ``m x n`` output tile from the output buffer to the GBUF (C)."""

    obuf_ptr: int
    gbuf_ptr: int
    m: int
    n: int


@dataclass(frozen=True)
class Sync:
    """Wait until every engine of the unit is idle (end of the unit's program)."""


Instruction = SetMode | LdLBUF_V | ShiftV | LdLBUF_H | ExecGEMM | StLBUF | Sync
OPCODES: dict[str, type] = {cls.__name__: cls for cls in
                            (SetMode, LdLBUF_V, ShiftV, LdLBUF_H, ExecGEMM, StLBUF, Sync)}


def to_record(instr: Instruction) -> dict[str, Any]:
    record: dict[str, Any] = {"op": type(instr).__name__}
    for key, value in asdict(instr).items():
        record[key] = value.value if isinstance(value, Mode) else value
    return record


def from_record(record: dict[str, Any]) -> Instruction:
    op = record.get("op")
    if op not in OPCODES:
        raise FlexsaError(f"unknown instruction {op!r}")
    cls = OPCODES[op]
    kwargs = {}
    for f in fields(cls):
        value = record[f.name]
        kwargs[f.name] = Mode(value) if f.name == "mode" else int(value)
    return cls(**kwargs)


def format_instruction(instr: Instruction) -> str:
    name = type(instr).__name__
    if isinstance(instr, SetMode):
        args = f"{instr.mode.value}, blk_M={instr.blk_m}, blk_N={instr.blk_n}, blk_K={instr.blk_k}"
    elif isinstance(instr, LdLBUF_V):
        args = f"B+{instr.gbuf_ptr}, top+{instr.lbuf_ptr}, k={instr.k}, n={instr.n}"
    elif isinstance(instr, ShiftV):
        args = f"k={instr.k}, n={instr.n}"
    elif isinstance(instr, LdLBUF_H):
        args = f"A+{instr.gbuf_ptr}, left+{instr.lbuf_ptr}, k={instr.k}, m={instr.m}"
    elif isinstance(instr, ExecGEMM):
        args = f"{instr.mode.value}, m={instr.m}, n={instr.n}, k={instr.k}"
    elif isinstance(instr, StLBUF):
        args = f"out+{instr.obuf_ptr}, C+{instr.gbuf_ptr}, m={instr.m}, n={instr.n}"
    else:
        args = ""
    return f"{name}({args})"


def dumps_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)
