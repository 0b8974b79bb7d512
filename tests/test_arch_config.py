"""Accelerator configs: presets, YAML loading, validation, overrides."""

from __future__ import annotations

import pytest

from flexsa.arch import PRESETS, ArchConfig, arch_from_dict, load_arch, with_overrides
from flexsa.errors import ConfigError


@pytest.mark.parametrize("name", ["1G1C", "1G4C", "4G4C", "1G1F", "4G1F"])
def test_presets_have_16384_pes_and_spec_sizes(name: str) -> None:
    arch = PRESETS[name]
    assert arch.total_pes == 16384
    assert arch.clock_ghz == 0.7
    assert arch.memory.gbuf_mib == 10.0
    unit = arch.unit_rows * arch.unit_cols
    assert arch.lbuf_stationary_elems * arch.cores_per_unit == unit
    assert arch.lbuf_streamed_elems * arch.cores_per_unit == 2 * unit
    assert arch.blk_m == 2 * unit // arch.unit_rows
    assert arch.lbuf_output_elems * arch.cores_per_unit == arch.blk_m * arch.unit_cols


def test_preset_geometry() -> None:
    assert PRESETS["1G1C"].blk_m == 256
    flex = PRESETS["1G1F"]
    assert (flex.unit_rows, flex.unit_cols, flex.units_per_group) == (128, 128, 1)
    assert PRESETS["4G4C"].units_per_group == 4 and PRESETS["4G4C"].groups == 4
    assert load_arch("1g1f") is PRESETS["1G1F"]


def test_yaml_round_trip(tmp_path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("name: mine\ngroups: 2\ncores_per_group: 8\ncore_rows: 16\ncore_cols: 32\n"
                    "flexsa: true\nclock_ghz: 1.0\nmemory:\n  gbuf_mib: 4\n")
    arch = load_arch(str(path))
    assert arch.units_per_group == 2 and arch.unit_rows == 32 and arch.unit_cols == 64
    assert arch.memory.gbuf_mib == 4.0
    assert arch_from_dict(arch.as_dict()) == arch


def test_yaml_base_preset(tmp_path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("base: 1G1F\nname: f2\nmode_switch_cycles: 5\n")
    arch = load_arch(str(path))
    assert arch.flexsa and arch.mode_switch_cycles == 5 and arch.core_rows == 64


@pytest.mark.parametrize(("text", "fragment"), [
    ("groups: 1\ngroups: 2\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\n",
     "duplicate key 'groups'"),
    ("groups: 1\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\ncolour: red\n",
     "unknown key 'colour'"),
    ("groups: 1\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\nmemory:\n  speed: 3\n",
     "unknown key 'memory.speed'"),
    ("groups: 1\ncores_per_group: 3\ncore_rows: 8\ncore_cols: 8\nflexsa: true\n",
     "does not tile FlexSA units"),
    ("groups: 1\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\nlbuf_streamed_elems: 4\n",
     "cannot hold one streamed row"),
    ("groups: 1\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\nlbuf_stationary_elems: 10\n",
     "cannot hold one wave"),
    ("groups: 0\ncores_per_group: 1\ncore_rows: 8\ncore_cols: 8\n", "groups must be"),
    ("groups: 1\ncores_per_group: 1\ncore_rows: 8\n", "missing key 'core_cols'"),
    ("- 1\n- 2\n", "mapping"),
])
def test_bad_yaml_is_one_line(tmp_path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_arch(str(path))
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_preset_and_missing_file() -> None:
    with pytest.raises(ConfigError, match="unknown arch"):
        load_arch("2G2Q")
    with pytest.raises(ConfigError, match="not found"):
        load_arch("/nonexistent/x.yaml")


def test_overrides_rederive_lbuf_and_reject_unknown() -> None:
    arch = with_overrides(PRESETS["1G1C"], {"core_rows": 64, "core_cols": 64,
                                            "cores_per_group": 4, "memory.gbuf_mib": 5})
    assert arch.total_pes == 16384 and arch.blk_m == 128 and arch.memory.gbuf_mib == 5
    with pytest.raises(ConfigError, match="unknown key 'nope'"):
        with_overrides(arch, {"nope": 1})
    with pytest.raises(ConfigError):
        with_overrides(arch, {"memory.dram_gbps": -1})


def test_direct_construction_validates() -> None:
    with pytest.raises(ConfigError, match="lbuf_output_elems"):
        ArchConfig("x", 1, 1, 8, 8, lbuf_output_elems=3)
    with pytest.raises(ConfigError, match="clock_ghz"):
        ArchConfig("x", 1, 1, 8, 8, clock_ghz=0)
