"""Co-simulation: the compiler's waves on the RTL unit in Amaranth's simulator.

The compiled program of a GEMM (one unit) is turned into wave descriptors (mode, m, k) and
ideal LBUF contents (every wave's stationary tile and streamed rows, placed in the cores'
LBUFs as the mode needs them: the load engine's job). The RTL runs them; the testbench only
records what the unit drives - stream/shift start strobes, the done flag, and the output
ports with their ``first row`` flags - and plays the output buffer (accumulating K steps).
The per-wave cycles and the outputs are compared with the register-level reference, the
wave trace / fast model and ``A @ B``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from flexsa.arch.config import ArchConfig
from flexsa.compiler.isa import StLBUF, decode_gbuf_ptr
from flexsa.compiler.modes import Mode, geometry, valid_modes
from flexsa.compiler.plan import GemmPlan, compile_gemm
from flexsa.compiler.program import emit_program
from flexsa.errors import ConfigError, FlexsaError
from flexsa.rtl.config import MAX_SIM_CORE, MODE_CODES, SUB_ARRAY_CORES, RtlConfig
from flexsa.workloads.layers import Gemm, Phase

#: Largest GEMM the co-simulation runs, in unit cycles of the fast model.
MAX_SIM_CYCLES = 20_000


def cosim_arch(rows: int, cols: int, flexsa: bool, switch_cycles: int = 1) -> ArchConfig:
    """A one-unit accelerator: one FlexSA unit of 2x2 ``rows x cols`` cores, or one core."""
    from flexsa.arch import arch_from_dict

    name = f"rtl{'F' if flexsa else 'C'}{rows}x{cols}"
    return arch_from_dict({"name": name, "groups": 1, "cores_per_group": 4 if flexsa else 1,
                           "core_rows": rows, "core_cols": cols, "flexsa": flexsa,
                           "mode_switch_cycles": switch_cycles})


def plan_gemm(arch: ArchConfig, gemm: Gemm, policy: str = "auto",
              mode: Mode | None = None) -> GemmPlan:
    """The compiler's plan; with ``mode``, every tile class that fits it runs in it."""
    plan = compile_gemm(arch, gemm, policy)
    if mode is None:
        return plan
    parts = []
    used = False
    for part in plan.parts:
        modes = []
        for (nc, kc), old in part.modes:
            fits = mode in valid_modes(arch, part.n_dim.size(nc), part.k_dim.size(kc))
            used |= fits
            modes.append(((nc, kc), mode if fits else old))
        parts.append(replace(part, modes=tuple(modes)))
    if not used:
        raise ConfigError(f"--mode {mode.value}: no tile of this GEMM fits it (HSW needs "
                          f"tiles with k <= {arch.core_rows}, VSW n <= {arch.core_cols}, "
                          "ISW both)")
    return replace(plan, parts=tuple(parts))


@dataclass(frozen=True)
class WaveTiming:
    index: int
    mode: str
    m: int
    n: int
    k: int
    stream_start: int
    cycles_rtl: int
    cycles_reference: int
    cycles_model: int


@dataclass
class CosimResult:
    """Everything one co-simulation measured (``as_dict`` is the CLI's JSON)."""

    config: dict[str, Any]
    waves: list[WaveTiming]
    cycles_rtl: int
    cycles_reference: int
    cycles_trace: int
    cycles_fast: int
    shift_starts_equal: bool
    output_mismatches: int
    output_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        timing = all(w.cycles_rtl == w.cycles_reference == w.cycles_model for w in self.waves)
        totals = self.cycles_rtl == self.cycles_reference == self.cycles_trace == self.cycles_fast
        return (timing and totals and self.shift_starts_equal and self.output_mismatches == 0
                and not self.output_errors)

    def as_dict(self) -> dict[str, Any]:
        return {"config": self.config, "ok": self.ok, "cycles": {
            "rtl": self.cycles_rtl, "reference": self.cycles_reference,
            "trace": self.cycles_trace, "fast": self.cycles_fast},
            "shift_starts_equal": self.shift_starts_equal,
            "output_mismatches": self.output_mismatches, "output_errors": self.output_errors,
            "waves": [w.__dict__ for w in self.waves]}


def wave_cycles_from_starts(starts: list[int], end: int) -> list[int]:
    """Per-wave cycles: a wave owns the cycles from its stream start to the next wave's
    (the last wave: to the unit's end); the head (cycles before the first stream start)
    is reported separately."""
    return [b - a for a, b in zip(starts, [*starts[1:], end], strict=True)]


def run_cosim(cfg: RtlConfig, gemm: tuple[int, int, int], seed: int = 0,
              policy: str = "auto", mode: Mode | None = None) -> CosimResult:
    """Co-simulate one GEMM on a one-unit accelerator of ``cfg``'s geometry."""
    from flexsa.sim.fast import gemm_stats
    from flexsa.sim.reference import simulate_unit
    from flexsa.sim.trace import trace_unit

    if max(cfg.rows, cfg.cols) > MAX_SIM_CORE:
        raise ConfigError(f"co-simulation takes sub-cores of at most {MAX_SIM_CORE}x"
                          f"{MAX_SIM_CORE} PEs (Amaranth's simulator is slow); got "
                          f"{cfg.rows}x{cfg.cols}")
    arch = cosim_arch(cfg.rows, cfg.cols, cfg.flexsa, cfg.switch_cycles)
    if mode is not None and not cfg.flexsa:
        raise ConfigError("--mode needs the FlexSA unit (a plain core has one mode)")
    g = Gemm("rtl", Phase.FWD, *gemm)
    plan = plan_gemm(arch, g, policy, mode)
    fast = gemm_stats(arch, plan).cycles
    if fast > MAX_SIM_CYCLES:
        raise ConfigError(f"GEMM {gemm[0]},{gemm[1]},{gemm[2]} takes {fast:,} cycles on "
                          f"this unit; the co-simulation runs at most {MAX_SIM_CYCLES:,}")
    prog = emit_program(arch, plan)
    unit = prog.units[0]
    rng = np.random.default_rng(seed)
    low, high = -(1 << (cfg.in_bits - 1)), 1 << (cfg.in_bits - 1)
    a = rng.integers(low, high, size=(1, *gemm[::2]), dtype=np.int64)
    b = rng.integers(low, high, size=(1, gemm[2], gemm[1]), dtype=np.int64)
    ref = simulate_unit(arch, prog, unit, a, b)
    trace = trace_unit(arch, unit)
    from flexsa.sim.reference import _waves

    waves = _waves(prog, unit, a, b, arch)
    sim_cfg = replace(cfg, max_m=arch.blk_m, wave_bits=max(1, len(waves).bit_length()),
                      slot_bits=max(1, (len(waves) - 1).bit_length()))
    run = _simulate(sim_cfg, arch, waves, ref.cycles + 16)
    outputs, errors = _output_tiles(sim_cfg, arch, waves, run)
    mismatches = _compare_outputs(prog, unit, outputs, ref.outputs, a @ b, sim_cfg.acc_bits)
    ends = (run.end, ref.cycles, trace.cycles)
    per = [wave_cycles_from_starts(list(s), e)
           for s, e in zip((run.stream_starts, ref.stream_starts, trace.starts), ends,
                           strict=True)]
    timings = [WaveTiming(w.index, w.mode.value, w.m, w.n, w.k,
                          run.stream_starts[i] if i < len(run.stream_starts) else -1,
                          per[0][i] if i < len(per[0]) else -1, per[1][i], per[2][i])
               for i, w in enumerate(waves)]
    config = {"core": f"{cfg.rows}x{cfg.cols}", "unit": "flexsa" if cfg.flexsa else "plain",
              "gemm": list(gemm), "seed": seed, "policy": policy,
              "mode": mode.value if mode else None, "in_bits": cfg.in_bits,
              "acc_bits": cfg.acc_bits, "switch_cycles": cfg.switch_cycles,
              "head_cycles": run.stream_starts[0] if run.stream_starts else 0,
              "version": _version(), "amaranth": _amaranth_version()}
    return CosimResult(config, timings, run.end, ref.cycles, trace.cycles, fast,
                       run.shift_starts == ref.shift_starts, mismatches, errors)


def _amaranth_version() -> str:
    from importlib.metadata import version

    return version("amaranth")


def _version() -> str:
    from flexsa import __version__

    return str(__version__)


@dataclass
class _Run:
    end: int
    stream_starts: list[int]
    shift_starts: list[int]
    # (port, column) -> segments of (value, first) in arrival order
    outputs: dict[tuple[str, int], list[list[int]]]


def _simulate(cfg: RtlConfig, arch: ArchConfig, waves: list[Any], max_cycles: int) -> _Run:
    from amaranth.sim import Simulator

    from flexsa.rtl.harness import CosimTop

    top = CosimTop(cfg, arch, waves)
    unit = top.unit
    run = _Run(-1, [], [], {})
    ports = list(unit.out_val)

    async def bench(ctx: Any) -> None:
        ctx.set(unit.ctl.go, 0)
        await ctx.tick()
        ctx.set(unit.ctl.go, 1)
        for cycle in range(max_cycles):
            if ctx.get(unit.ctl.done):
                run.end = cycle
                return
            if ctx.get(unit.ctl.stream_start):
                run.stream_starts.append(cycle)
            if ctx.get(unit.ctl.shift_start):
                run.shift_starts.append(cycle)
            for port in ports:
                valid = ctx.get(unit.out_valid[port])
                if not valid:
                    continue
                first = ctx.get(unit.out_first[port])
                for j in range(cfg.unit_cols):
                    if valid >> j & 1:
                        segs = run.outputs.setdefault((port, j), [])
                        if first >> j & 1 or not segs:
                            segs.append([])
                        segs[-1].append(int(ctx.get(unit.out_val[port][j])))
            await ctx.tick()

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    if run.end < 0:
        raise FlexsaError(f"the RTL unit did not finish within {max_cycles} cycles")
    return run


def _output_tiles(cfg: RtlConfig, arch: ArchConfig, waves: list[Any], run: _Run
                  ) -> tuple[dict[int, np.ndarray], list[str]]:
    """The output buffer: place every output segment at its wave's rows and accumulate."""
    expected: dict[tuple[str, int], list[tuple[Any, int, int]]] = {}
    for wave in waves:
        geo = geometry(arch, wave.mode)
        for s, (r0, c0) in enumerate(geo.origins):
            if wave.rows[s] == 0:
                continue
            port = "bot" if r0 + geo.rows == cfg.unit_rows else "top"
            for lj in range(geo.cols):
                expected.setdefault((port, c0 + lj), []).append((wave, s, lj))
    tiles: dict[int, np.ndarray] = {}
    errors = []
    for key in sorted(set(expected) | set(run.outputs)):
        want, got = expected.get(key, []), run.outputs.get(key, [])
        if len(want) != len(got):
            errors.append(f"port {key}: {len(got)} output segments, expected {len(want)}")
            continue
        for (wave, s, lj), seg in zip(want, got, strict=True):
            if len(seg) != wave.rows[s]:
                errors.append(f"port {key} wave {wave.index}: {len(seg)} rows, "
                              f"expected {wave.rows[s]}")
            elif lj >= wave.n:
                if any(seg):
                    errors.append(f"port {key} wave {wave.index}: non-zero outside the tile")
            else:
                acc = tiles.setdefault(wave.out_tile, np.zeros((wave.m, wave.n), np.int64))
                acc[wave.starts[s]:wave.starts[s] + len(seg), lj] += seg
    return tiles, errors


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    half = 1 << (bits - 1)
    return ((x + half) % (1 << bits)) - half


def _compare_outputs(prog: Any, unit: Any, rtl: dict[int, np.ndarray],
                     ref: dict[int, np.ndarray], expected: np.ndarray, bits: int) -> int:
    """Mismatching output elements: RTL tiles vs the reference's and C vs ``A @ B``."""
    c = np.zeros_like(expected)
    bad = 0
    tile = 0
    for instr in unit.instructions:
        if isinstance(instr, StLBUF):
            i, row, col = decode_gbuf_ptr(instr.gbuf_ptr, prog.m, prog.n)
            got = rtl.get(tile)
            if got is None:
                bad += instr.m * instr.n
            else:
                got = _wrap(got, bits)
                bad += int(np.count_nonzero(got != _wrap(ref[tile], bits)))
                c[i, row:row + instr.m, col:col + instr.n] = got
            tile += 1
    return bad + int(np.count_nonzero(c != _wrap(expected, bits)))


def mode_code(mode: Mode) -> int:
    return MODE_CODES[mode]


def cores_of(mode: Mode) -> tuple[int, ...]:
    return SUB_ARRAY_CORES[mode]
