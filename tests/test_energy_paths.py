"""OverCore energy by path and wire, the GBUF<->LBUF bus wires, energy parts sum to total."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from flexsa.arch.config import PRESETS, ArchConfig
from flexsa.compiler.modes import Mode
from flexsa.energy.area import area_of, core_side_mm, gbuf_bus_mm
from flexsa.energy.model import (
    COMPONENTS,
    EnergyCounts,
    energy_detail,
    energy_from_counts,
    pe_pitch_mm,
    wire_lengths_mm,
)
from flexsa.energy.table import load_energy_table, table_from_dict
from flexsa.errors import ConfigError
from flexsa.sim.overcore import PATHS, paths_dict, wave_path_bytes

UNIT = ArchConfig(name="u4", groups=1, cores_per_group=4, core_rows=4, core_cols=4,
                  flexsa=True)

# Hand-counted bytes per path for one wave on a unit of 2x2 cores of 4x4 PEs (FP16 in,
# FP32 out). FW m=10 n=6 k=7: rows pass 0->1 (10x7), partial sums pass 0->2 (10x6), 3
# stationary rows shift into cores 2/3. HSW m=10 n=6 k=3: tile broadcast to cores 2+3,
# rows pass 0->1 and 2->3, the 5 top rows' outputs go down. VSW m=10 n=3 k=7: tile
# broadcast to cores 1+3, both sub-arrays shift 3 rows down, partial sums pass down, the
# 5 rows of cores 1+3 come over their side inputs. ISW m=11 n=3 k=3: rows 3,3,3,2 on cores
# 0,1,2,3; tile broadcast to 3 cores; cores 1 and 3 (3+2 rows) use side inputs; cores 0 and
# 1 (3+3 rows) send outputs down.
HAND = {
    (Mode.FW, 10, 6, 7): {"streamed_pass": 10 * 7 * 2, "psum_pass": 10 * 6 * 4,
                          "stationary_shift": 3 * 6 * 2},
    (Mode.HSW, 10, 6, 3): {"streamed_pass": 10 * 3 * 2, "stationary_broadcast": 3 * 6 * 2,
                           "output_down": 5 * 6 * 4},
    (Mode.VSW, 10, 3, 7): {"psum_pass": 10 * 3 * 4, "stationary_shift": 2 * 3 * 3 * 2,
                           "stationary_broadcast": 7 * 3 * 2, "streamed_side": 5 * 7 * 2},
    (Mode.ISW, 11, 3, 3): {"stationary_broadcast": 3 * 3 * 3 * 2,
                           "streamed_side": (3 + 2) * 3 * 2, "output_down": (3 + 3) * 3 * 4},
}


@pytest.mark.parametrize("wave", list(HAND))
def test_every_path_of_every_mode_hand_counted(wave):
    mode, m, n, k = wave
    got = paths_dict(wave_path_bytes(UNIT, mode, m, n, k))
    assert got == {name: HAND[wave].get(name, 0) for name in PATHS}


def _counts(paths: dict[str, int], **extra: int) -> EnergyCounts:
    base = dict(executed_macs=0, stationary_bytes=0, streamed_bytes=0, lbuf_to_gbuf_bytes=0,
                output_accum_bytes=0, dram_to_gbuf_bytes=0, gbuf_to_dram_bytes=0)
    base.update(extra)
    return EnergyCounts(overcore_bytes=sum(paths.values()), overcore_paths=paths, **base)


@pytest.mark.parametrize("wave", list(HAND))
def test_overcore_energy_charges_each_path_by_its_wire(wave):
    table = load_energy_table()
    pitch = pe_pitch_mm(table)
    side = core_side_mm(UNIT, table)
    wire = table["wire_energy_per_bit_mm"]  # 0.1 pJ/bit/mm
    hand = HAND[wave]
    short = sum(v for p, v in hand.items() if p in ("streamed_pass", "psum_pass",
                                                     "stationary_shift"))
    long = sum(hand.values()) - short
    energy = energy_from_counts(_counts(hand), UNIT, table)
    assert energy["overcore"] == pytest.approx(8 * wire * (short * pitch + long * side))


def test_neighbour_pass_through_is_short_and_broadcast_long():
    """Today's problem: every OverCore byte was charged one core side (~3.7 mm for 64x64
    cores); a pass-through between abutting cores crosses one PE pitch (~0.05 mm)."""
    arch, table = PRESETS["1G1F"], load_energy_table()
    lengths = wire_lengths_mm(arch, table)
    assert lengths["neighbour"] == pytest.approx(pe_pitch_mm(table))
    assert 0.04 < lengths["neighbour"] < 0.07
    assert lengths["unit"] == pytest.approx(area_of(arch, table).core_side_mm)
    assert lengths["unit"] > 50 * lengths["neighbour"]
    one_byte = {name: energy_from_counts(_counts({name: 1}), arch, table)["overcore"]
                for name in PATHS}
    assert one_byte["stationary_broadcast"] > 50 * one_byte["streamed_pass"]


def test_neighbour_hops_move_from_forwarding_to_overcore():
    """A boundary hop is charged once: as overcore, not again as PE forwarding."""
    table = load_energy_table()
    plain = _counts({}, executed_macs=10**6, stationary_bytes=10**4)
    crossing = _counts({"psum_pass": 4000, "streamed_pass": 2000},
                       executed_macs=10**6, stationary_bytes=10**4)
    a, b = (energy_from_counts(c, PRESETS["1G1F"], table) for c in (plain, crossing))
    assert a["total"] == pytest.approx(b["total"])
    assert b["overcore"] > 0 and b["forwarding"] == pytest.approx(a["forwarding"] - b["overcore"])


def test_gbuf_bus_wire_energy_uses_the_area_models_length():
    """Today's problem: moving a byte GBUF -> LBUF cost only the SRAM access; the bus the
    area model pays for (half the group's side long) was free."""
    table = load_energy_table()
    for name in ("1G1C", "4G4C"):
        arch = PRESETS[name]
        bus = gbuf_bus_mm(arch, table)
        group_mm2 = (area_of(arch, table).pe + area_of(arch, table).lbuf
                     + area_of(arch, table).gbuf) / arch.groups
        assert bus == pytest.approx(math.sqrt(group_mm2) / 2)
        counts = _counts({}, stationary_bytes=1000, streamed_bytes=3000, lbuf_to_gbuf_bytes=500)
        detail = energy_detail(counts, arch, table)
        assert detail["gbuf_bus"] == pytest.approx(8 * 4500 * 0.1 * bus)
        assert energy_from_counts(counts, arch, table)["gbuf"] == pytest.approx(
            detail["gbuf_sram"] + detail["gbuf_bus"])
    assert gbuf_bus_mm(PRESETS["4G4C"], table) < gbuf_bus_mm(PRESETS["1G1C"], table)


def test_area_has_the_core0_to_core1_stationary_broadcast_wire():
    table = load_energy_table()
    arch = PRESETS["1G1F"]
    extras = area_of(arch, table).flexsa
    c, bits = arch.core_cols, 16
    r = arch.core_rows
    wire_bits = 2 * r * bits + 2 * c * 32 + 3 * c * bits + 2 * r * bits
    side = core_side_mm(arch, table)
    expect = arch.total_units * wire_bits * side * table["wire_pitch"] * 1e-3 \
        * table["overcell_wire_fraction"]
    assert extras.wires == pytest.approx(expect)


@pytest.mark.parametrize("preset", ["1G1C", "1G4C", "4G4C", "1G1F", "4G1F"])
def test_energy_parts_sum_to_total_on_a_simulated_run(preset):
    from flexsa.pipeline import simulate_gemms
    from flexsa.workloads.layers import Gemm, Phase

    gemms = [Gemm("a", Phase.FWD, 700, 150, 90), Gemm("b", Phase.WGRAD, 40, 70, 900, 3)]
    result = simulate_gemms(PRESETS[preset], gemms, memory="hbm2")
    energy = result.energy_pj
    assert energy["total"] == pytest.approx(sum(energy[k] for k in COMPONENTS), rel=1e-12)
    assert all(energy[k] >= 0 for k in COMPONENTS)
    detail = energy_detail(result.energy.counts, PRESETS[preset])
    overcore = sum(v for k, v in detail.items() if k.startswith("overcore_"))
    assert overcore == pytest.approx(energy["overcore"])
    paths = result.traffic_bytes["overcore_paths"]
    assert sum(paths.values()) == result.traffic_bytes["overcore"]
    if not PRESETS[preset].flexsa:
        assert energy["overcore"] == 0


def test_wire_length_overrides_and_bad_values():
    table = table_from_dict({"wire_lengths": {"gbuf_bus": 2.5, "overcore_unit": 1.0}})
    lengths = wire_lengths_mm(PRESETS["1G1F"], table)
    assert lengths["bus"] == 2.5 and lengths["unit"] == 1.0
    assert area_of(PRESETS["1G1F"], table).core_side_mm == pytest.approx(
        core_side_mm(PRESETS["1G1F"], table))
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ConfigError) as info:
            table_from_dict({"wire_lengths": {"gbuf_bus": bad}})
        assert "wire_lengths.gbuf_bus" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="wire_lengths.bus"):
        table_from_dict({"wire_lengths": {"bus": 1.0}})


def test_cli_bad_wire_length_exit_2(cli, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("wire_lengths:\n  overcore_neighbour: .nan\n")
    out = cli("simulate", "--arch", "1G1F", "--gemm", "100,100,100", "--energy-table",
              str(path))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "wire_lengths.overcore_neighbour" in out.stderr


def test_result_without_path_split_is_charged_across_the_unit():
    arch, table = PRESETS["1G1F"], load_energy_table()
    counts = replace(_counts({}), overcore_bytes=100)
    assert energy_from_counts(counts, arch, table)["overcore"] == pytest.approx(
        8 * 100 * 0.1 * wire_lengths_mm(arch, table)["unit"])
