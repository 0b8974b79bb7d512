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
from collections.abc import Sequence
from dataclasses import replace

from flexsa.arch.config import ArchConfig
from flexsa.arch.timing import shift_offset, wave_cycles
from flexsa.compiler.blocking import PartBlocking, a_elems, plan_gemm, store_word
from flexsa.compiler.isa import ExecGEMM, LdLBUF_H, LdLBUF_V
from flexsa.compiler.plan import wave_shape
from flexsa.compiler.program import compile_program
from flexsa.sim.memory import LOAD, STORE
from flexsa.sim.memory_spec import MemorySpec
from flexsa.sim.trace import trace_program
from flexsa.workloads.layers import Gemm, Im2col, Phase


def _ceil_div(nbytes: int, bpc: float) -> int:
    return 0 if nbytes <= 0 or math.isinf(bpc) else math.ceil(nbytes / bpc)


def reference_block(arch: ArchConfig, m: int, n: int, k: int, port_bpc: float,
                    policy: str = "auto") -> tuple[int, int, int, int]:
    """(compute, memory, warm, tail) cycles of one block from idle, wave by wave: warm with
    every unit's first wave already in its LBUFs; tail: cycles at the end with every port
    idle."""
    one_group = replace(arch, groups=1)
    prog = compile_program(one_group, Gemm("block", Phase.FWD, m, n, k), policy)
    compute, _ = trace_program(one_group, prog)
    if math.isinf(port_bpc):
        return compute, compute, compute, compute
    memory = warm = last_port = 0
    for unit in prog.units:
        end, port = _unit_end(arch, unit.instructions, port_bpc)
        memory, last_port = max(memory, end), max(last_port, port)
        warm = max(warm, _unit_end(arch, unit.instructions, port_bpc, warm=True)[0])
    return compute, memory, warm, memory - last_port


def _unit_end(arch: ArchConfig, instructions: tuple[object, ...], port_bpc: float,
              warm: bool = False) -> tuple[int, int]:
    """One unit's stream: the port serves LdLBUF_V / LdLBUF_H in program order; each
    waits for its LBUF half (two waves back) to be free; ShiftV (after LdLBUF_V) overlaps
    LdLBUF_H; the stream waits for ShiftV, LdLBUF_H and the core's wave rules. ``warm``:
    the first wave's loads are already done. Returns (end, port free)."""
    ib, switch = arch.input_bytes, arch.switch_timing
    port = start = 0
    stat_free = [0, 0]      # stationary halves: free once the tile has been shifted in
    stream_free = [0, 0]    # streamed halves: free once the last row has streamed in
    prev = None
    vend = hend = 0
    for instr in instructions:
        cost = math.inf if warm and prev is None else port_bpc  # prefetched: free
        if isinstance(instr, LdLBUF_V):
            vend = port = max(port, stat_free.pop(0)) + _ceil_div(instr.k * instr.n * ib,
                                                                  cost)
        elif isinstance(instr, LdLBUF_H):
            hend = port = max(port, stream_free.pop(0)) + _ceil_div(instr.m * instr.k * ib,
                                                                    cost)
        elif isinstance(instr, ExecGEMM):
            shape = wave_shape(arch, instr.mode, instr.m, instr.k)
            if prev is None:
                shift_start = vend
                rule = 0
            else:
                gap = wave_cycles(prev, shape, switch)
                shift_start = max(vend, start + shift_offset(prev, shape, switch))
                rule = start + gap
            start = max(shift_start + shape.k, hend, rule)
            stat_free.append(shift_start + shape.k)
            stream_free.append(start + shape.m_sub)
            prev = shape
    return (0 if prev is None else start + wave_cycles(prev, None, switch)), port


def _blocks(part: PartBlocking, ib: int, im2col: Im2col | None = None
            ) -> list[tuple[int, int, int, int, int, bool]]:
    """(m, n, k, load bytes, store bytes, exposed) of one instance's blocks, from the
    resident regions; exposed: it replaces a single-buffered resident panel."""
    p = part.plan
    out = []
    resident_a = resident_b = previous = None
    n_starts, m_starts = range(0, p.n, p.bn), range(0, p.m, p.bm)
    pairs = ([(m0, n0) for n0 in n_starts for m0 in m_starts] if p.order == "NMK"
             else [(m0, n0) for m0 in m_starts for n0 in n_starts])
    for m0, n0 in pairs:
        mm, nn = min(p.bm, p.m - m0), min(p.bn, p.n - n0)
        for k0 in range(0, p.k, p.bk):
            kk = min(p.bk, p.k - k0)
            load = 0
            panel = (k0, n0) if p.order == "NMK" else (m0, k0)
            exposed = p.single_resident and previous is not None and panel != previous
            previous = panel
            if resident_a != (m0, k0):
                load, resident_a = load + int(a_elems(im2col, mm, kk)) * ib, (m0, k0)
            if resident_b != (k0, n0):
                load, resident_b = load + kk * nn * ib, (k0, n0)
            store = mm * nn * store_word(part) if k0 + kk == p.k else 0
            out.append((mm, nn, kk, load, store, exposed))
    return out


def _block_times(arch: ArchConfig, port: float, blocks: Sequence[tuple[int, ...]],
                 policy: str) -> list[tuple[int, int, int, int]]:
    cache: dict[tuple[int, ...], tuple[int, int, int, int]] = {}
    for m, n, k, *_ in blocks:
        if (m, n, k) not in cache:
            cache[(m, n, k)] = reference_block(arch, m, n, k, port, policy)
    return [cache[b[:3]] for b in blocks]


def reference_part(arch: ArchConfig, spec: MemorySpec, part: PartBlocking, dram_bpc: float,
                   policy: str = "auto", im2col: Im2col | None = None) -> tuple[int, int]:
    """(pipeline end, sum of block compute cycles) of one group's part, cycle by cycle. A
    block prefetches its first LBUF loads (``memory - warm``) from when its DRAM load is in
    and the previous block's ports idle (``tail``), then runs ``warm`` cycles."""
    blocks = _blocks(part, arch.input_bytes, im2col) * part.instances
    times = _block_times(arch, spec.unit_port_bytes_per_cycle, blocks, policy)
    count = len(blocks)
    fifo: deque[tuple[int, int, int, int]] = deque()   # (issue cycle, kind, block, bytes)
    channel: tuple[int, int, int] | None = None         # (end cycle, kind, block)
    loaded: list[int | None] = [None] * count   # cycle the block's DRAM load completed
    stored = [False] * count
    new: list[tuple[int, int, int]] = []
    state = {"block": -1, "until": -1, "ended": 0, "tail": 0}

    def done(kind: int, b: int, now: int) -> None:
        if kind == LOAD:
            loaded[b] = now
            return
        stored[b] = True
        if b + 2 < count and not blocks[b + 2][5]:
            request(LOAD, b + 2, now)
        if b + 1 < count and blocks[b + 1][5]:   # a new single-buffered panel
            request(LOAD, b + 1, now)

    def request(kind: int, b: int, now: int) -> None:
        nbytes = blocks[b][3] if kind == LOAD else blocks[b][4]
        if nbytes <= 0:
            done(kind, b, now)
        else:
            new.append((kind, b, nbytes))

    for first in range(min(2, count)):
        if first == 0 or not blocks[first][5]:
            request(LOAD, first, 0)
    now = next_block = 0
    while not all(stored):
        if channel is not None and channel[0] == now:
            done(channel[1], channel[2], now)
            channel = None
        if state["block"] >= 0 and state["until"] == now:
            request(STORE, state["block"], now)
            state["tail"] = times[state["block"]][3]
            state["block"], state["ended"] = -1, now
        for kind, b, nbytes in sorted(new):
            fifo.append((now, kind, b, nbytes))
        new.clear()
        if channel is None and fifo and fifo[0][0] + spec.dram_latency_cycles <= now:
            _, kind, b, nbytes = fifo.popleft()
            channel = (now + _ceil_div(nbytes, dram_bpc), kind, b)
        arrived = loaded[next_block] if next_block < count else None
        if state["block"] < 0 and arrived is not None:
            _, memory, warm, _ = times[next_block]
            prefetch = max(state["ended"] - state["tail"], arrived)
            begin = max(now, prefetch + memory - warm)
            state["block"], state["until"] = next_block, begin + warm
            next_block += 1
        if not all(stored):
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
        end, compute = reference_part(arch, spec, part, dram_bpc, policy, gemm.im2col)
        worst = max(worst, end - compute)
    reduction = 0
    if plan.reduction_bytes:
        reduction = spec.dram_latency_cycles + _ceil_div(plan.reduction_bytes,
                                                         spec.dram_bytes_per_cycle)
    return worst + reduction
