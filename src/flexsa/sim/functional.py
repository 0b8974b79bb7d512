"""Functional execution of a compiled program on integer (or float) matrices.

Models the data movement of the ISA: LBUF halves, the stationary tile held in the PEs,
sub-wave row splits per mode, output-buffer accumulation over K steps, stores to the GBUF
and the reduction of group partial outputs. Reproduces ``A @ B`` exactly for integers.
"""

from __future__ import annotations

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.isa import (
    ExecGEMM,
    LdLBUF_H,
    LdLBUF_V,
    SetMode,
    ShiftV,
    StLBUF,
    decode_gbuf_ptr,
)
from flexsa.compiler.modes import geometry, split_rows
from flexsa.compiler.program import Program, UnitProgram
from flexsa.errors import FlexsaError

MAX_VERIFY_ELEMENTS = 50_000_000


class ExecutionError(FlexsaError):
    """The program is inconsistent (wrong sizes, missing loads)."""


def _run_unit(arch: ArchConfig, prog: Program, unit: UnitProgram, a: np.ndarray,
              b: np.ndarray, c: np.ndarray) -> None:
    top: dict[int, np.ndarray] = {}
    left: dict[int, np.ndarray] = {}
    pes: np.ndarray | None = None
    streamed: np.ndarray | None = None
    acc: np.ndarray | None = None
    mode = None
    for instr in unit.instructions:
        if isinstance(instr, SetMode):
            mode = instr.mode
        elif isinstance(instr, LdLBUF_V):
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.k, prog.n)
            top[instr.lbuf_ptr] = b[i, row:row + instr.k, col:col + instr.n]
            last_top = instr.lbuf_ptr
        elif isinstance(instr, ShiftV):
            pes = top.get(last_top)
            if pes is None or pes.shape != (instr.k, instr.n):
                raise ExecutionError("ShiftV without a matching stationary tile in the LBUF")
        elif isinstance(instr, LdLBUF_H):
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.m, prog.k)
            left[instr.lbuf_ptr] = a[i, row:row + instr.m, col:col + instr.k]
            streamed = left[instr.lbuf_ptr]
        elif isinstance(instr, ExecGEMM):
            if mode is None or instr.mode != mode:
                raise ExecutionError("ExecGEMM in a mode the unit is not set to")
            if pes is None or streamed is None or streamed.shape != (instr.m, instr.k) \
                    or pes.shape != (instr.k, instr.n):
                raise ExecutionError("ExecGEMM operands do not match the loaded tiles")
            acc = _execute_wave(arch, instr, pes, streamed, acc)
        elif isinstance(instr, StLBUF):
            if acc is None or acc.shape != (instr.m, instr.n):
                raise ExecutionError("StLBUF without a finished output tile")
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.m, prog.n)
            # the GBUF accumulates: a tile's waves may be spread over several units
            c[i, row:row + instr.m, col:col + instr.n] += acc
            acc = None


def _execute_wave(arch: ArchConfig, instr: ExecGEMM, pes: np.ndarray, streamed: np.ndarray,
                  acc: np.ndarray | None) -> np.ndarray:
    geo = geometry(arch, instr.mode)
    if instr.k > geo.rows or instr.n > geo.cols:
        raise ExecutionError(f"a {instr.k}x{instr.n} tile does not fit {instr.mode.value} "
                             f"sub-arrays of {geo.rows}x{geo.cols}")
    out = np.zeros((instr.m, instr.n), dtype=np.result_type(streamed, pes))
    start = 0
    for rows in split_rows(instr.m, geo.count):  # each sub-array: its own rows, same tile
        out[start:start + rows] = streamed[start:start + rows] @ pes
        start += rows
    return out if acc is None else acc + out


def execute_program(arch: ArchConfig, prog: Program, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Run ``prog`` on ``a`` (instances x m x k) and ``b`` (instances x k x n)."""
    shape_a, shape_b = (prog.instances, prog.m, prog.k), (prog.instances, prog.k, prog.n)
    if a.shape != shape_a or b.shape != shape_b:
        raise ExecutionError(f"operands must be {shape_a} and {shape_b}")
    dtype = np.result_type(a, b)
    groups = sorted({u.group for u in prog.units})
    partial = {g: np.zeros((prog.instances, prog.m, prog.n), dtype=dtype) for g in groups}
    for unit in prog.units:
        _run_unit(arch, prog, unit, a, b, partial[unit.group])
    if prog.reduce:
        return np.sum(np.stack([partial[g] for g in groups]), axis=0)
    result = np.zeros((prog.instances, prog.m, prog.n), dtype=dtype)
    for g in groups:
        result += partial[g]  # M-partitioned groups write disjoint rows
    return result


def verify_gemm(arch: ArchConfig, m: int, n: int, k: int, seed: int = 0, instances: int = 1,
                phase: str = "fwd", policy: str = "auto") -> tuple[bool, int]:
    """Compile, execute on random integers and compare with ``A @ B``: (ok, mismatches)."""
    from flexsa.compiler.program import compile_program
    from flexsa.workloads.layers import Gemm, Phase

    elements = instances * (m * k + k * n + m * n)
    if elements > MAX_VERIFY_ELEMENTS:
        raise FlexsaError(f"GEMM too large to verify functionally ({elements:,} matrix "
                          f"elements; the limit is {MAX_VERIFY_ELEMENTS:,}); use smaller M,N,K")
    rng = np.random.default_rng(seed)
    a = rng.integers(-8, 8, size=(instances, m, k), dtype=np.int64)
    b = rng.integers(-8, 8, size=(instances, k, n), dtype=np.int64)
    prog = compile_program(arch, Gemm("verify", Phase(phase), m, n, k, instances), policy)
    got = execute_program(arch, prog, a, b)
    mismatches = int(np.count_nonzero(got != a @ b))
    return mismatches == 0, mismatches
