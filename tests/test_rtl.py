"""The RTL FlexSA unit co-simulated against the reference, the fast model and A @ B."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from flexsa.compiler.modes import Mode
from flexsa.errors import ConfigError
from flexsa.rtl.config import RtlConfig, parse_core
from tests.helpers import run_cli

pytest.importorskip("amaranth")

from flexsa.rtl import cosim  # noqa: E402
from flexsa.rtl.cosim import run_cosim  # noqa: E402

# (sub-core rows, cols, flexsa, switch cycles, GEMM, policy, forced mode). Every GEMM has edge
# tiles (dimensions that are not multiples of the unit), two use non-square sub-cores.
CASES = [
    (2, 2, True, 1, (9, 5, 5), "fw", None),
    (2, 2, True, 1, (9, 5, 2), "auto", Mode.HSW),
    (2, 2, True, 1, (9, 2, 5), "auto", Mode.VSW),
    (2, 2, True, 1, (7, 2, 2), "auto", Mode.ISW),
    (2, 2, True, 1, (3, 2, 2), "auto", Mode.ISW),  # 3 rows on 4 sub-arrays: one swaps only
    (2, 3, True, 2, (11, 7, 5), "table", None),  # every mode, switches of 2 cycles
    (3, 2, True, 0, (10, 3, 7), "table", None),  # instant switches
    (4, 4, True, 1, (20, 9, 11), "auto", None),
    (3, 2, False, 1, (7, 5, 4), "auto", None),  # one plain core
]


def _id(case: tuple) -> str:
    r, c, flexsa, sw, gemm, policy, mode = case
    unit = "F" if flexsa else "C"
    return f"{unit}{r}x{c}-sw{sw}-{'x'.join(map(str, gemm))}-{mode.value if mode else policy}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_rtl_waves_equal_reference_and_model(case: tuple) -> None:
    r, c, flexsa, sw, gemm, policy, mode = case
    res = run_cosim(RtlConfig(r, c, flexsa=flexsa, switch_cycles=sw), gemm, seed=5,
                    policy=policy, mode=mode)
    assert res.output_errors == [] and res.output_mismatches == 0
    assert [w.cycles_rtl for w in res.waves] == [w.cycles_reference for w in res.waves] \
        == [w.cycles_model for w in res.waves]
    assert res.cycles_rtl == res.cycles_reference == res.cycles_trace == res.cycles_fast
    assert res.shift_starts_equal and res.ok
    if mode is not None:
        assert mode.value in {w.mode for w in res.waves}


def test_the_cases_cover_every_mode_and_switches() -> None:
    arch_modes: set[str] = set()
    for r, c, flexsa, sw, gemm, policy, mode in CASES:
        if not flexsa:
            continue
        arch = cosim.cosim_arch(r, c, True, sw)
        from flexsa.compiler.program import emit_program
        from flexsa.workloads.layers import Gemm, Phase

        plan = cosim.plan_gemm(arch, Gemm("t", Phase.FWD, *gemm), policy, mode)
        modes = [i.mode.value for i in emit_program(arch, plan).units[0].instructions
                 if type(i).__name__ == "ExecGEMM"]
        arch_modes.update(modes)
        if (r, c) == (2, 3):
            assert len({m for m in modes}) == 4  # the switching case runs all four
    assert arch_modes == {"FW", "HSW", "VSW", "ISW"}


def test_a_timing_difference_is_reported(monkeypatch) -> None:
    """The reference and the model run with another SetMode time than the RTL: caught."""
    real = cosim.cosim_arch

    def slower(rows: int, cols: int, flexsa: bool, switch: int = 1):
        return real(rows, cols, flexsa, switch + 1)

    monkeypatch.setattr(cosim, "cosim_arch", slower)
    res = run_cosim(RtlConfig(2, 2), (9, 5, 2), seed=1, policy="table")
    assert not res.ok and res.cycles_rtl != res.cycles_reference


def test_a_wrong_datapath_is_reported(monkeypatch) -> None:
    """Feeding core 2 the K rows of core 0 in FW gives wrong outputs: caught."""
    from flexsa.rtl import harness

    wrong = dict(harness.FEEDER_SOURCES)
    wrong[Mode.FW] = ((0, 0), None, (0, 0), None)
    monkeypatch.setattr(harness, "FEEDER_SOURCES", wrong)
    res = run_cosim(RtlConfig(2, 2), (5, 4, 4), seed=1, policy="fw")
    assert res.output_mismatches > 0 and not res.ok
    assert res.cycles_rtl == res.cycles_reference  # timing alone is unaffected


@pytest.mark.parametrize(("in_bits", "acc_bits"), [(8, 16), (16, 32)])
def test_other_widths(in_bits: int, acc_bits: int) -> None:
    """16-bit accumulators wrap like the hardware; 16-bit inputs (the FP16 datapath's width)."""
    res = run_cosim(RtlConfig(2, 2, in_bits=in_bits, acc_bits=acc_bits), (5, 3, 9), seed=2,
                    policy="fw")
    assert res.ok


@pytest.mark.parametrize("text", ["0x4", "4x-1", "4.5x4", "ax4", "4x4x4", "65x4"])
def test_bad_core_sizes(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_core(text)


def test_config_limits() -> None:
    assert parse_core("3x5") == (3, 5) and parse_core("4") == (4, 4)
    with pytest.raises(ConfigError):
        RtlConfig(4, 4, in_bits=16, acc_bits=24)
    with pytest.raises(ConfigError, match="at most 8x8"):
        run_cosim(RtlConfig(9, 9), (4, 4, 4))
    with pytest.raises(ConfigError, match="no tile"):
        run_cosim(RtlConfig(2, 2), (9, 4, 8), mode=Mode.ISW)
    with pytest.raises(ConfigError, match="at most"):
        run_cosim(RtlConfig(2, 2), (4000, 50, 50))
    assert replace(RtlConfig(2, 3), flexsa=False).unit_cols == 3


@pytest.mark.parametrize("args", [
    ("rtl", "verify", "--core", "0x4", "--gemm", "4,4,4"),
    ("rtl", "verify", "--core", "2.5x2", "--gemm", "4,4,4"),
    ("rtl", "verify", "--core", "16x16", "--gemm", "4,4,4"),
    ("rtl", "verify", "--core", "2x2", "--gemm", "4,4,4", "--mode", "XSW"),
    ("rtl", "verify", "--core", "2x2", "--gemm", "4,0,4"),
    ("rtl", "synth", "--core", "-2x2"),
    ("rtl", "generate", "--core", "2x2", "--out", "x.v", "--design", "big"),
])
def test_cli_bad_input_is_one_line_exit_2(capsys, args: tuple[str, ...]) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_cli_missing_extra(capsys, monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "amaranth" else real(name, *a))
    code, _, err = run_cli(capsys, "rtl", "verify", "--core", "2x2", "--gemm", "4,4,4")
    assert code == 2 and "pip install 'flexsa[rtl]'" in err and err.count("\n") == 1


def test_cli_verify_json(capsys) -> None:
    import json

    code, out, _ = run_cli(capsys, "rtl", "verify", "--core", "2x2", "--gemm", "6,5,3",
                        "--seed", "4", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["config"]["seed"] == 4
    assert data["cycles"]["rtl"] == data["cycles"]["reference"] == data["cycles"]["fast"]
    assert data["config"]["version"]


def test_cli_start_up_does_not_import_amaranth() -> None:
    code = "import sys, flexsa.cli; print('amaranth' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
