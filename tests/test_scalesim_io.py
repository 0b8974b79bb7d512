"""SCALE-Sim .cfg / topology readers, the ResNet50 topology conversion and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flexsa.errors import ConfigError, WorkloadError
from flexsa.workloads.layers import ConvLayer
from flexsa.workloads.lowering import lower_model
from flexsa.workloads.model import Model, Node, Space
from flexsa.workloads.scalesim_io import (
    ScaleSimConfig,
    TopologyLayer,
    format_scalesim_config,
    format_topology,
    model_to_topology,
    parse_scalesim_config,
    parse_topology,
    read_scalesim_config,
    read_topology,
    topology_gemms,
)
from flexsa.workloads.zoo import build_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scalesim"
TINY_CFG = EXAMPLES / "tiny_8x8_is.cfg"
TINY_CONV = EXAMPLES / "tiny_conv.csv"
TINY_GEMM = EXAMPLES / "tiny_gemm.csv"


def test_read_shipped_config() -> None:
    cfg = read_scalesim_config(TINY_CFG)
    assert (cfg.array_rows, cfg.array_cols, cfg.dataflow) == (8, 8, "is")
    assert (cfg.ifmap_sram_kb, cfg.filter_sram_kb, cfg.ofmap_sram_kb) == (64, 64, 64)
    assert cfg.run_name == "tiny_8x8_is" and cfg.interface_bandwidth == "CALC"
    assert cfg.bandwidths == (10,) and cfg.read_request_buffer == 32
    assert (cfg.core_rows, cfg.core_cols) == (8, 8)


def test_config_round_trip() -> None:
    cfg = ScaleSimConfig(run_name="r", array_rows=32, array_cols=16, dataflow="ws",
                         ifmap_sram_kb=512, interface_bandwidth="USER", bandwidths=(10, 20))
    assert parse_scalesim_config(format_scalesim_config(cfg)) == cfg


def test_config_defaults_and_topology_path() -> None:
    text = ("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 2\nDataflow: os\n"
            "[network_presets]\nTopologyCsvLoc: \"./topologies/x.csv\"\n")
    cfg = parse_scalesim_config(text)
    assert (cfg.array_rows, cfg.array_cols, cfg.ofmap_sram_kb) == (4, 2, 128)
    assert cfg.topology_path == "./topologies/x.csv"


@pytest.mark.parametrize(("text", "needle"), [
    ("[architecture_presets]\nArrayWidth: 4\nDataflow: os\n", "ArrayHeight is missing"),
    ("[architecture_presets]\nArrayHeight: x\nArrayWidth: 4\nDataflow: os\n",
     "ArrayHeight must be an integer"),
    ("[architecture_presets]\nArrayHeight: 0\nArrayWidth: 4\nDataflow: os\n",
         "ArrayHeight must be an integer >= 1"),
    ("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nDataflow: rs\n",
         "Dataflow must be"),
    ("[architecture_presets]\nArrayHeight: 4\nArrayHeight: 5\nArrayWidth: 4\n", "not a valid"),
    ("ArrayHeight: 4\n", "not a valid"),
    ("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nDataflow: os\n"
     "[sparsity]\nSparsitySupport: true\n", "SparsitySupport"),
    ("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\nDataflow: os\n"
     "[run_presets]\nInterfaceBandwidth: FAST\n", "InterfaceBandwidth"),
])
def test_bad_config_is_one_line(text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        parse_scalesim_config(text, "bad.cfg")
    assert "\n" not in str(info.value)


def test_missing_files() -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_scalesim_config("/nonexistent/x.cfg")
    with pytest.raises(WorkloadError, match="not found"):
        read_topology("/nonexistent/x.csv")


def test_read_conv_topology_with_depthwise() -> None:
    layers = read_topology(TINY_CONV)
    assert [x.name for x in layers] == ["c1", "c2", "fc", "dw_DP"]
    c2 = layers[1]
    # SCALE-Sim: ofmap = ceil((9 - 3 + 2) / 2) x ceil((7 - 2 + 2) / 2) = 4 x 4
    assert (c2.ofmap_h, c2.ofmap_w, c2.gemm_m, c2.gemm_n, c2.gemm_k) == (4, 4, 16, 20, 30)
    dw = layers[3]
    assert (dw.copies, dw.channels, dw.gemm_m, dw.gemm_n, dw.gemm_k) == (4, 1, 16, 1, 9)
    gemms = topology_gemms(layers)
    assert [(g.m, g.n, g.k, g.groups) for g in gemms] == [
        (64, 12, 27, 1), (16, 20, 30, 1), (1, 9, 33, 1), (16, 1, 9, 4)]


def test_read_gemm_topology() -> None:
    layers = read_topology(TINY_GEMM)
    assert [(x.name, x.gemm_m, x.gemm_n, x.gemm_k) for x in layers] == [
        ("g1", 20, 13, 17), ("g2", 5, 30, 3)]
    # SCALE-Sim's own encoding: IFMAP M x K, filter 1 x K, one channel, N filters.
    assert (layers[0].ifmap_h, layers[0].ifmap_w, layers[0].filter_w) == (20, 17, 17)


def test_rows_without_trailing_comma_and_sparsity_column() -> None:
    text = "Layer, M, N, K\na, 3, 4, 5\nb, 6, 7, 8, 1:1,\n"
    assert [x.gemm_k for x in parse_topology(text)] == [5, 8]
    assert parse_topology(text, form="gemm") == parse_topology(text)


@pytest.mark.parametrize(("text", "needle"), [
    ("", "empty topology"),
    ("Layer, M, N, K,\n", "no layers"),
    ("Name, A, B\nx, 1, 2\n", "neither the conv form"),
    ("Layer, M, N, K,\na, 3, 4,\n", "line 2: expected 4 fields"),
    ("Layer, M, N, K,\na, 3, four, 5,\n", "line 2: N must be an integer >= 1, got 'four'"),
    ("Layer, M, N, K,\na, 3, 0, 5,\n", "N must be an integer >= 1, got 0"),
    ("Layer, M, N, K,\na, 3, 4, 5, half,\n", "sparsity"),
    ("Layer, M, N, K,\n, 3, 4, 5,\n", "empty layer name"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
     "Num Filter, Strides,\nc, 2, 2, 3, 3, 1, 1, 1,\n", "larger than the IFMAP"),
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
     "Num Filter, Strides,\nc, 2, 2, 1, 1, 1, 1,\n", "expected 8 fields"),
])
def test_malformed_topology_is_one_line(text: str, needle: str) -> None:
    with pytest.raises(WorkloadError, match=needle) as info:
        parse_topology(text, "t.csv")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2", "bert_base"])
def test_model_topology_matches_forward_lowering(name: str) -> None:
    model = build_model(name, **({"seq_len": 16} if name == "bert_base" else {}))
    layers = model_to_topology(model)
    ours = [(g.m, g.n, g.k, g.groups) for g in topology_gemms(layers)]
    lowered = [(g.m, g.n, g.k, g.groups)
               for g in lower_model(model, 1, "fwd", depthwise="per-channel")]
    assert ours == lowered
    again = parse_topology(format_topology(layers))
    assert [(g.m, g.n, g.k, g.groups) for g in topology_gemms(again)] == lowered


def test_shipped_resnet50_topology_is_the_zoo_model() -> None:
    shipped = read_topology(EXAMPLES / "resnet50_conv.csv")
    assert shipped == model_to_topology(build_model("resnet50"))
    assert shipped[0] == TopologyLayer("conv1", 229, 229, 7, 7, 3, 64, 2, 2)


def test_grouped_conv_has_no_conv_form() -> None:
    layer = ConvLayer("g", cin=8, cout=8, kh=3, kw=3, hin=8, win=8, groups=2)
    model = Model("m", (layer,), (Node("g", ("input",), "out"),),
                  (Space("input", 8), Space("out", 8)))
    with pytest.raises(WorkloadError, match="grouped convolution"):
        model_to_topology(model)


def test_gemm_form_writes_copies_as_rows() -> None:
    layer = TopologyLayer.from_gemm_dims("mm_DP", 3, 4, 5, copies=2)
    text = format_topology([layer], form="gemm")
    assert [x.gemm_m for x in parse_topology(text)] == [3, 3]


# ----------------------------------------------------------------------------- CLI


def test_cli_json_on_shipped_samples(cli) -> None:
    proc = cli("scalesim", "--config", str(TINY_CFG), "--topology", str(TINY_CONV), "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [r["cycles_per_group"] for r in out["layers"]] == [1087, 335, 154, 91]
    assert out["cycles"] == 1087 + 335 + 154 + 4 * 91
    assert out["config"]["array_rows"] == 8 and out["config"]["dataflow"] == "is"
    assert out["version"] and out["tool"] == "flexsa"


def test_cli_dataflow_override_and_table(cli) -> None:
    proc = cli("scalesim", "--config", str(TINY_CFG), "--topology", str(TINY_GEMM),
               "--dataflow", "os", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [r["cycles"] for r in json.loads(proc.stdout)["layers"]] == [185, 67]
    table = cli("scalesim", "--config", str(TINY_CFG), "--topology", str(TINY_GEMM))
    assert table.returncode == 0 and "g1" in table.stdout and "365" in table.stdout


@pytest.mark.parametrize("extra", [["--dataflow", "xx"], ["--form", "csv"]])
def test_cli_bad_options_exit_2(cli, extra: list[str]) -> None:
    proc = cli("scalesim", "--config", str(TINY_CFG), "--topology", str(TINY_GEMM), *extra)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1


def test_cli_malformed_files_exit_2(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Layer, M, N, K,\na, 3, -4, 5,\n")
    proc = cli("scalesim", "--config", str(TINY_CFG), "--topology", str(bad))
    assert proc.returncode == 2 and "line 2" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("scalesim", "--config", str(tmp_path / "none.cfg"), "--topology", str(bad))
    assert proc.returncode == 2 and "not found" in proc.stderr


def test_dataflow_is_case_insensitive() -> None:
    cfg = parse_scalesim_config("[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\n"
                                "Dataflow: OS\n")
    assert cfg.dataflow == "os"


def test_cli_topology_from_config(cli, tmp_path: Path) -> None:
    cfg = tmp_path / "run.cfg"
    cfg.write_text("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nDataflow: os\n"
                   f"[network_presets]\nTopologyCsvLoc: \"{TINY_GEMM.name}\"\n")
    (tmp_path / TINY_GEMM.name).write_text(TINY_GEMM.read_text())
    proc = cli("scalesim", "--config", str(cfg), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cycles"] == 185 + 67
    proc = cli("scalesim", "--config", str(TINY_CFG))
    assert proc.returncode == 2 and "--topology is required" in proc.stderr
