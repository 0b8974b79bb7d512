"""Energy table: sourced data, scaling rule, overrides, CLI and Accelergy export."""

from __future__ import annotations

import pytest
import yaml

from flexsa.energy import load_energy_table
from flexsa.energy.accelergy import accelergy_tables, write_accelergy
from flexsa.energy.configs import SPLIT_STUDY
from flexsa.energy.model import EnergyCounts, energy_from_counts
from flexsa.energy.table import scale_factor, table_from_dict
from flexsa.errors import ConfigError


def test_every_entry_has_unit_and_source():
    table = load_energy_table()
    assert table.entries
    for entry in table.entries:
        assert entry.unit and entry.source
    for point in table.sram_points:
        assert point.source and point.cells


def test_mac_matches_reference_after_45_to_32nm_scaling():
    table = load_energy_table()
    # Horowitz 45 nm: 1.1 + 0.9 pJ, 1640 + 4184 um2; x0.66 energy, x0.46 area.
    assert table.mac_pj == pytest.approx(1.32)
    assert table.mac_area_um2 == pytest.approx(2680, rel=1e-3)


def test_scaling_rule_explicit_pair_and_fallback():
    table = load_energy_table()
    assert scale_factor("pJ", 45, 32, table.scaling) == pytest.approx(0.66)
    assert scale_factor("um2", 45, 32, table.scaling) == pytest.approx(0.46)
    assert scale_factor("pJ", 32, 45, table.scaling) == pytest.approx(1 / 0.66)
    assert scale_factor("pJ", 28, 14, table.scaling) == pytest.approx(0.5)
    assert scale_factor("um2", 28, 14, table.scaling) == pytest.approx(0.25)
    assert scale_factor("ratio", 45, 32, table.scaling) == 1.0


def test_target_node_override_rescales():
    table = table_from_dict({"target_node_nm": 45})
    assert table.mac_pj == pytest.approx(2.0)


def test_sram_energy_hits_cacti_points_and_grows_with_capacity():
    table = load_energy_table()
    assert table.sram_pj_per_bit(65536) * 256 == pytest.approx(27.8)
    assert table.sram_pj_per_bit(10 * 2**20, write=True) * 512 == pytest.approx(782.0)
    sizes = [1024, 8192, 65536, 131072, 262144, 2**20, 10 * 2**20, 40 * 2**20]
    values = [table.sram_pj_per_bit(s) for s in sizes]
    assert values == sorted(values)


def test_override_file(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("entries:\n  dram_energy_per_bit:\n    value: 6.25\n    unit: pJ/bit\n"
                    "    source: alternative HBM2 figure\n")
    table = load_energy_table(path)
    assert table["dram_energy_per_bit"] == 6.25
    assert table.entry("dram_energy_per_bit").source == "alternative HBM2 figure"


@pytest.mark.parametrize("text, fragment", [
    ("entries:\n  dram_energy_per_bit:\n    value: 6.25\n    unit: pJ/bit\n", "source"),
    ("entries:\n  dram_energy_per_bit:\n    value: 6.25\n    source: x\n", "unit"),
    ("entries:\n  nope:\n    value: 1\n    unit: pJ\n    source: x\n", "not a known entry"),
    ("entries:\n  dram_energy_per_bit:\n    value: 6\n    unit: pJ\n    source: x\n", "unit"),
    ("bogus: 1\n", "unknown key"),
    ("target_node_nm: 32\ntarget_node_nm: 45\n", "duplicate key"),
    ("entries: [1, 2\n", "invalid YAML"),
    ("entries:\n  dram_energy_per_bit:\n    value: -1\n    unit: pJ/bit\n    source: x\n",
     "value"),
])
def test_bad_override_is_one_line_error(tmp_path, text, fragment):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_energy_table(path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_energy_components_sum_to_total():
    arch = SPLIT_STUDY["1x128^2"]
    counts = EnergyCounts(executed_macs=10**9, stationary_bytes=10**6, streamed_bytes=10**7,
                          lbuf_to_gbuf_bytes=10**6, output_accum_bytes=10**6,
                          overcore_bytes=10**5, dram_to_gbuf_bytes=10**7,
                          gbuf_to_dram_bytes=10**6)
    energy = energy_from_counts(counts, arch)
    assert set(energy) == {"comp", "lbuf", "gbuf", "dram", "overcore", "forwarding", "total"}
    parts = sum(v for k, v in energy.items() if k != "total")
    assert energy["total"] == pytest.approx(parts)
    assert energy["comp"] == pytest.approx(1.32e9)
    assert energy["dram"] == pytest.approx(8 * 1.1e7 * 3.9)
    assert all(v > 0 for v in energy.values())


def test_accelergy_structure(tmp_path):
    paths = write_accelergy(SPLIT_STUDY["4x64^2"], tmp_path)
    ert = yaml.safe_load(paths[0].read_text())
    art = yaml.safe_load(paths[1].read_text())
    assert str(ert["ERT"]["version"]) == "0.3" and str(art["ART"]["version"]) == "0.3"
    for item in ert["ERT"]["tables"]:
        assert set(item) == {"name", "actions"}
        for action in item["actions"]:
            assert set(action) == {"name", "arguments", "energy"}
            assert isinstance(action["energy"], float) and action["energy"] >= 0
    for item in art["ART"]["tables"]:
        assert set(item) == {"name", "area"} and item["area"] >= 0
    names = [t["name"] for t in ert["ERT"]["tables"]]
    assert any(n.endswith("PE[0..4095].mac") for n in names)
    assert names == [t["name"] for t in art["ART"]["tables"]]


def test_accelergy_flexsa_has_overcore_wire():
    arch = SPLIT_STUDY["4x64^2"]
    from dataclasses import replace

    ert, _ = accelergy_tables(replace(arch, flexsa=True))
    assert any("overcore_wire" in t["name"] for t in ert["ERT"]["tables"])


def test_cli_energy_table_and_export(cli, tmp_path):
    out = cli("energy", "table")
    assert out.returncode == 0, out.stderr
    assert "fp16_mult_energy" in out.stdout
    out = cli("energy", "export", "--format", "accelergy", str(tmp_path / "x"),
              "--arch", "16x32^2")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "x" / "ERT.yaml").exists() and (tmp_path / "x" / "ART.yaml").exists()


def test_cli_bad_energy_table_exit_2(cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("entries:\n  dram_energy_per_bit:\n    value: 6.25\n")
    out = cli("energy", "table", "--energy-table", str(path))
    assert out.returncode == 2
    assert out.stderr.startswith("error:") and out.stderr.count("\n") == 1
    out = cli("energy", "export", "--format", "timeloop", str(tmp_path / "y"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1


def test_simulate_uses_energy_table_override(tmp_path):
    from flexsa.arch import load_arch
    from flexsa.pipeline import simulate_gemms
    from flexsa.workloads.layers import Gemm, Phase

    path = tmp_path / "e.yaml"
    path.write_text("entries:\n  dram_energy_per_bit:\n    value: 7.8\n    unit: pJ/bit\n"
                    "    source: doubled for the test\n")
    gemms = [Gemm("a", Phase.FWD, 3000, 100, 200)]
    base = simulate_gemms(load_arch("1G1C"), gemms)
    override = simulate_gemms(load_arch("1G1C"), gemms, energy_table=str(path))
    assert override.energy_pj["dram"] == pytest.approx(2 * base.energy_pj["dram"])
    assert override.energy_pj["comp"] == pytest.approx(base.energy_pj["comp"])


def test_shipped_table_fast_path_matches_the_validated_one() -> None:
    """default_energy_table skips pydantic (start-up); the schema still accepts the file."""
    from flexsa.energy.table import default_energy_table

    validated = table_from_dict(None)
    fast = default_energy_table()
    assert fast == validated
    assert fast.as_dict() == validated.as_dict()
