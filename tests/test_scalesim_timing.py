"""SCALE-Sim compatibility timing: golden numbers measured with SCALE-Sim 3.0.0 itself."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from flexsa.errors import ConfigError, FlexsaError, WorkloadError
from flexsa.sim.scalesim import scalesim_table, simulate_scalesim
from flexsa.workloads.layers import Gemm, Phase
from flexsa.workloads.lowering import lower_model
from flexsa.workloads.zoo import build_model

ARRAY_8 = SimpleNamespace(core_rows=8, core_cols=8)

# COMPUTE_REPORT of SCALE-Sim 3.0.0 (CALC bandwidth, 8x8 array) for the GEMMs (M, N, K)
# of examples/scalesim/tiny_*.csv: per dataflow (cycles, overall util %, mapping eff %).
GOLDEN_8X8 = {
    (64, 12, 27): {"is": (1087, 29.80680772769089, 84.375),
                   "ws": (687, 47.161572052401745, 63.28125),
                   "os": (655, 49.465648854961835, 75.0)},
    (16, 20, 30): {"is": (335, 44.776119402985074, 93.75),
                   "ws": (455, 32.967032967032964, 78.125),
                   "os": (263, 57.034220532319395, 83.33333333333334)},
    (1, 9, 33): {"is": (154, 3.013392857142857, 10.3125),
                 "ws": (229, 2.0264737991266375, 46.40625),
                 "os": (93, 4.98991935483871, 7.03125)},
    (16, 1, 9): {"is": (91, 2.4725274725274726, 56.25),
                 "ws": (75, 3.0, 7.03125),
                 "os": (45, 5.0, 12.5)},
    (20, 13, 17): {"is": (314, 21.994426751592357, 59.02777777777778),
                   "ws": (251, 27.514940239043824, 57.552083333333336),
                   "os": (185, 37.33108108108108, 67.70833333333334)},
    (5, 30, 3): {"is": (51, 13.786764705882353, 23.4375),
                 "ws": (107, 6.571261682242991, 35.15625),
                 "os": (67, 10.494402985074627, 58.59375)},
}


@pytest.mark.parametrize("dataflow", ["is", "ws", "os"])
@pytest.mark.parametrize("shape", list(GOLDEN_8X8))
def test_golden_scalesim_numbers(shape: tuple[int, int, int], dataflow: str) -> None:
    m, n, k = shape
    result = simulate_scalesim(ARRAY_8, [Gemm("x", Phase.FWD, m, n, k)], dataflow)
    cycles, util_pct, mapping_pct = GOLDEN_8X8[shape][dataflow]
    assert result["cycles"] == cycles
    assert 100 * result["pe_utilization"] == pytest.approx(util_pct, rel=1e-12)
    assert 100 * result["mapping_efficiency"] == pytest.approx(mapping_pct, rel=1e-12)


def test_resnet50_128x128_is_total_is_golden() -> None:
    """SCALE-Sim 3.0.0 on every ResNet50 layer, 128x128, is: 1,070,450 cycles (bench)."""
    gemms = lower_model(build_model("resnet50"), 1, "fwd")
    result = simulate_scalesim(SimpleNamespace(core_rows=128, core_cols=128), gemms, "is")
    assert result["cycles"] == 1_070_450
    assert result["layers"][2]["cycles"] == 55_749  # layer1.0.conv2, run in SCALE-Sim


def test_fold_formula_and_off_by_one() -> None:
    # os on 4x4, M=N=4, K=10: one fold of T+R+C-2 = 16 demand rows; SCALE-Sim reports 15.
    table = scalesim_table(4, 4, np.array([4]), np.array([4]), np.array([10]), "os")
    assert table["cycles"].tolist() == [15]
    # ws/is fold: 2R + C + T - 2; ws T = M. Two column folds of N=8 on 4 columns.
    table = scalesim_table(4, 4, np.array([3]), np.array([8]), np.array([4]), "ws")
    assert table["folds"].tolist() == [2]
    assert table["cycles"].tolist() == [2 * (8 + 4 + 3 - 2) - 1]
    assert table["mapping_efficiency"].tolist() == [1.0]


def test_groups_are_separate_layers_and_totals() -> None:
    one = simulate_scalesim(ARRAY_8, [Gemm("a", Phase.FWD, 16, 1, 9)], "is")
    four = simulate_scalesim(ARRAY_8, [Gemm("a", Phase.FWD, 16, 1, 9, groups=4)], "is")
    assert four["cycles"] == 4 * one["cycles"] == 4 * 91
    assert four["macs"] == 4 * one["macs"]
    assert four["pe_utilization"] == pytest.approx(one["pe_utilization"])
    assert four["layers"][0]["cycles_per_group"] == 91


def test_totals_sum_and_fold_weighted_mapping_efficiency() -> None:
    gemms = [Gemm("a", Phase.FWD, 64, 12, 27), Gemm("b", Phase.WGRAD, 5, 30, 3)]
    result = simulate_scalesim(ARRAY_8, gemms, "os")
    rows = result["layers"]
    assert result["cycles"] == sum(r["cycles"] for r in rows) == 655 + 67
    assert result["macs"] == 64 * 12 * 27 + 5 * 30 * 3
    assert result["pe_utilization"] == pytest.approx(result["macs"] / (result["cycles"] * 64))
    folds = [r["row_folds"] * r["col_folds"] for r in rows]
    expected = sum(f * r["mapping_efficiency"] for f, r in zip(folds, rows, strict=True))
    assert result["mapping_efficiency"] == pytest.approx(expected / sum(folds))
    assert rows[1]["phase"] == "wgrad"
    assert 0 < result["pe_utilization"] <= 1


def test_useful_macs_follow_the_gemm_record() -> None:
    gemm = Gemm("d", Phase.DGRAD, 10, 10, 10, macs=600)
    result = simulate_scalesim(ARRAY_8, [gemm], "ws")
    assert result["macs"] == 1000 and result["useful_macs"] == 600


def test_multicore_arch_uses_one_core_and_says_so() -> None:
    arch = SimpleNamespace(core_rows=8, core_cols=8, groups=4, cores_per_group=4)
    result = simulate_scalesim(arch, [Gemm("x", Phase.FWD, 64, 12, 27)], "is")
    assert result["cycles"] == 1087
    assert result["array"]["cores_in_arch"] == 16
    assert "one 8x8 core" in result["array"]["note"]
    assert "note" not in simulate_scalesim(ARRAY_8, [Gemm("x", Phase.FWD, 1, 1, 1)],
                                           "is")["array"]


def test_non_square_array_is_rows_by_cols() -> None:
    tall = simulate_scalesim(SimpleNamespace(core_rows=16, core_cols=4),
                             [Gemm("x", Phase.FWD, 4, 4, 16)], "os")
    # os: Sr = M = 4 rows of 16 (1 fold), Sc = N = 4 cols of 4 (1 fold): 16+16+4-2-1.
    assert tall["cycles"] == 16 + 16 + 4 - 2 - 1
    assert tall["mapping_efficiency"] == pytest.approx(16 / 64)


@pytest.mark.parametrize("dataflow", ["xs", "", "weight"])
def test_bad_dataflow_is_one_line_config_error(dataflow: str) -> None:
    with pytest.raises(ConfigError, match="dataflow") as info:
        simulate_scalesim(ARRAY_8, [Gemm("x", Phase.FWD, 1, 1, 1)], dataflow)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("arch", [SimpleNamespace(core_rows=0, core_cols=8),
                                  SimpleNamespace(core_rows=8, core_cols=2.5),
                                  SimpleNamespace(rows=8)])
def test_bad_array_is_config_error(arch: SimpleNamespace) -> None:
    with pytest.raises(ConfigError):
        simulate_scalesim(arch, [Gemm("x", Phase.FWD, 1, 1, 1)], "os")


def test_no_gemms_is_workload_error() -> None:
    with pytest.raises(WorkloadError):
        simulate_scalesim(ARRAY_8, [], "os")
    assert issubclass(WorkloadError, FlexsaError)


def test_result_is_json_ready() -> None:
    import json

    result = simulate_scalesim(ARRAY_8, [Gemm("x", Phase.FWD, 7, 9, 11, part="p0")], "is")
    again = json.loads(json.dumps(result))
    assert again == result
    assert again["layers"][0]["part"] == "p0"


def test_overflowing_gemm_is_refused() -> None:
    with pytest.raises(WorkloadError, match="too large|exceeds the limit"):
        simulate_scalesim(ARRAY_8, [Gemm("huge", Phase.FWD, 2**30, 2**30, 2**30)], "os")


def test_with_arch_presets() -> None:
    from flexsa.arch import load_arch

    gemm = [Gemm("x", Phase.FWD, 1000, 150, 300)]
    one = simulate_scalesim(load_arch("1G1C"), gemm, "ws")
    # ws on 128x128: Sr=K=300 (3 folds), Sc=N=150 (2 folds), T=M=1000: 6 x 1382 - 1.
    assert one["cycles"] == 6 * (2 * 128 + 128 + 1000 - 2) - 1
    assert "note" not in one["array"]
    many = simulate_scalesim(load_arch("4G4C"), gemm, "ws")
    assert (many["array"]["rows"], many["array"]["cores_in_arch"]) == (32, 16)


def test_simulate_command_scalesim_timing(cli) -> None:
    import json

    proc = cli("simulate", "--arch", "1G1C", "--gemm", "1000,150,300", "--timing", "scalesim",
               "--dataflow", "ws", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["cycles"] == 8291 and out["macs"] == 45_000_000
    assert 0 < out["pe_utilization"] <= 1 and 0 < out["mapping_efficiency"] <= 1


def test_absurd_sizes_are_one_line_errors() -> None:
    with pytest.raises(WorkloadError, match="too large|exceeds the limit"):
        simulate_scalesim(ARRAY_8, [Gemm("x", Phase.FWD, 2**70, 1, 1)], "os")
    with pytest.raises(ConfigError, match="too large"):
        simulate_scalesim(SimpleNamespace(core_rows=2**40, core_cols=8),
                          [Gemm("x", Phase.FWD, 1, 1, 1)], "os")
