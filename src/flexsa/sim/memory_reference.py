"""Event-by-event reference for the memory timing model (slow; tests only).

Independent of the fast model's compression: it walks the explicit per-unit instruction
streams the compiler emits for every GBUF block (``compile_program``) wave by wave, loading
each wave's inputs from the bytes of its ``LdLBUF_V``/``LdLBUF_H`` instructions, enumerates
the blocks from the GBUF contents, and steps the DRAM channel (a FIFO of requests), the GBUF
double buffer and the blocks one cycle at a time. The rules are those of
:mod:`flexsa.sim.memory`; results must match exactly.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import replace

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import wave_cycles
from flexsa.compiler.blocking import PartPlan, plan_gemm
from flexsa.compiler.isa import ExecGEMM, LdLBUF_H, LdLBUF_V
from flexsa.compiler.plan import wave_shape
from flexsa.compiler.program import compile_program
from flexsa.sim.memory import LOAD, STORE
from flexsa.sim.memory_spec import MemorySpec
from flexsa.sim.trace import trace_program
from flexsa.workloads.layers import Gemm, Phase


def _ceil_div(nbytes: int, bpc: float) -> int:
    return 0 if nbytes <= 0 or math.isinf(bpc) else math.ceil(nbytes / bpc)


def reference_block(arch: ArchConfig, m: int, n: int, k: int, port_bpc: float,
                    policy: str = "auto") -> tuple[int, int]:
    """(compute, memory) cycles of one block from idle, wave by wave."""
    one_group = replace(arch, groups=1)
    prog = compile_program(one_group, Gemm("block", Phase.FWD, m, n, k), policy)
    compute, _ = trace_program(one_group, prog)
    ib, switch = arch.input_bytes, arch.mode_switch_cycles
    memory = 0
    for unit in prog.units:
        port = 0
        frees = [0, 0]           # LBUF halves: free once the wave using them has streamed
        start = 0
        prev = None
        nbytes = 0
        for instr in unit.instructions:
            if isinstance(instr, LdLBUF_V):
                nbytes += instr.k * instr.n * ib
            elif isinstance(instr, LdLBUF_H):
                nbytes += instr.m * instr.k * ib
            elif isinstance(instr, ExecGEMM):
                shape = wave_shape(arch, instr.mode, instr.m, instr.k)
                half_free = frees.pop(0)
                port = max(port, half_free) + _ceil_div(nbytes, port_bpc)
                ready = port + shape.k
                start = ready if prev is None else max(
                    ready, start + wave_cycles(prev, shape, switch))
                frees.append(start + shape.m_sub)
                prev, nbytes = shape, 0
        if prev is not None:
            memory = max(memory, start + wave_cycles(prev, None, switch))
    return compute, memory


def _blocks(part: PartPlan, ib: int, ob: int) -> list[tuple[int, int, int, int, int]]:
    """(m, n, k, load bytes, store bytes) of one instance's blocks, from resident regions."""
    p = part.plan
    out = []
    resident_a = resident_b = None
    n_starts, m_starts = range(0, p.n, p.bn), range(0, p.m, p.bm)
    pairs = ([(m0, n0) for n0 in n_starts for m0 in m_starts] if p.order == "NMK"
             else [(m0, n0) for m0 in m_starts for n0 in n_starts])
    for m0, n0 in pairs:
        mm, nn = min(p.bm, p.m - m0), min(p.bn, p.n - n0)
        for k0 in range(0, p.k, p.bk):
            kk = min(p.bk, p.k - k0)
            load = 0
            if resident_a != (m0, k0):
                load, resident_a = load + mm * kk * ib, (m0, k0)
            if resident_b != (k0, n0):
                load, resident_b = load + kk * nn * ib, (k0, n0)
            store = mm * nn * ob if k0 + kk == p.k else 0
            out.append((mm, nn, kk, load, store))
    return out


def reference_part(arch: ArchConfig, spec: MemorySpec, part: PartPlan, dram_bpc: float,
                   policy: str = "auto") -> tuple[int, int]:
    """(pipeline end, sum of block compute cycles) of one group's part, cycle by cycle."""
    port = spec.unit_port_bytes_per_cycle
    blocks = _blocks(part, arch.input_bytes, arch.output_bytes) * part.instances
    cache: dict[tuple[int, int, int], tuple[int, int]] = {}
    times = []
    for m, n, k, _, _ in blocks:
        if (m, n, k) not in cache:
            cache[(m, n, k)] = reference_block(arch, m, n, k, port, policy)
        times.append(cache[(m, n, k)])
    count = len(blocks)
    fifo: deque[tuple[int, int, int, int]] = deque()   # (issue cycle, kind, block, bytes)
    channel: tuple[int, int, int] | None = None         # (end cycle, kind, block)
    loaded = [False] * count
    stored = [False] * count
    new: list[tuple[int, int, int]] = []
    state = {"block": -1, "until": -1}

    def done(kind: int, b: int, now: int) -> None:
        if kind == LOAD:
            loaded[b] = True
            return
        stored[b] = True
        if b + 2 < count:
            request(LOAD, b + 2, now)

    def request(kind: int, b: int, now: int) -> None:
        nbytes = blocks[b][3] if kind == LOAD else blocks[b][4]
        if nbytes <= 0:
            done(kind, b, now)
        else:
            new.append((kind, b, nbytes))

    request(LOAD, 0, 0)
    if count > 1:
        request(LOAD, 1, 0)
    now = 0
    next_block = 0
    while not all(stored):
        if channel is not None and channel[0] == now:
            done(channel[1], channel[2], now)
            channel = None
        if state["block"] >= 0 and state["until"] == now:
            request(STORE, state["block"], now)
            state["block"] = -1
        for kind, b, nbytes in sorted(new):
            fifo.append((now, kind, b, nbytes))
        new.clear()
        if channel is None and fifo and fifo[0][0] + spec.dram_latency_cycles <= now:
            _, kind, b, nbytes = fifo.popleft()
            channel = (now + _ceil_div(nbytes, dram_bpc), kind, b)
        if state["block"] < 0 and next_block < count and loaded[next_block]:
            state["block"], state["until"] = next_block, now + times[next_block][1]
            next_block += 1
        if all(stored):
            break
        now += 1
    return now, sum(t[0] for t in times)


def reference_stall(arch: ArchConfig, spec: MemorySpec, gemm: Gemm,
                    policy: str = "auto") -> int:
    """Stall cycles of ``gemm`` (largest over the groups, plus the reduction)."""
    plan = plan_gemm(gemm, arch)
    if spec.ideal:
        return 0
    dram_bpc = spec.dram_bytes_per_cycle / len(plan.parts)
    worst = 0
    for part in plan.parts:
        end, compute = reference_part(arch, spec, part, dram_bpc, policy)
        worst = max(worst, end - compute)
    reduction = 0
    if plan.reduction_bytes:
        reduction = spec.dram_latency_cycles + _ceil_div(plan.reduction_bytes,
                                                         spec.dram_bytes_per_cycle)
    return worst + reduction
