"""Model zoo: exact parameter counts, MACs and every layer against published layer tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from flexsa.errors import WorkloadError
from flexsa.workloads import ConvLayer, LinearLayer, build_model

DATA = Path(__file__).parent / "data"

PUBLISHED = {
    # name: (parameters incl. BN affine and FC, forward GMACs per image)
    "resnet50": (25_557_032, 4.0892),
    "inception_v4": (42_679_816, 12.254),
    "mobilenet_v2": (3_504_872, 0.3008),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_count_is_exact(name: str) -> None:
    assert build_model(name).params == PUBLISHED[name][0]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_forward_macs_within_0_1_percent(name: str) -> None:
    gmacs = build_model(name).macs / 1e9
    assert gmacs == pytest.approx(PUBLISHED[name][1], rel=1e-3)


def _layer_tuple(layer: ConvLayer | LinearLayer) -> tuple[int, ...]:
    if isinstance(layer, LinearLayer):
        return (layer.cin, layer.cout, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1)
    return (layer.cin, layer.cout, layer.kh, layer.kw, layer.stride, layer.pad_h, layer.pad_w,
            layer.groups, layer.hin, layer.win, layer.hout, layer.wout)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_layer_matches_reference_table(name: str) -> None:
    model = build_model(name)
    layers = {layer.name: layer for layer in model.gemm_layers}
    with open(DATA / f"reference_{name}.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(layers)
    keys = "cin cout kh kw stride pad_h pad_w groups hin win hout wout".split()
    for row in rows:
        layer = layers[row["name"]]
        assert isinstance(layer, ConvLayer | LinearLayer)
        assert _layer_tuple(layer) == tuple(int(row[k]) for k in keys), row["name"]


def test_mobilenet_width_075_follows_torchvision_rounding() -> None:
    model = build_model("mobilenet_v2", width_mult=0.75)
    first = model.layer("features.0.0")
    assert isinstance(first, ConvLayer)
    assert first.cout == 24  # _make_divisible(32 * 0.75, 8)
    assert model.layer("features.18.0").cout == 1280  # last channel never shrinks
    assert model.params == 2_636_424
    assert model.macs == 209_069_792


def test_residual_nodes_concats_and_depthwise_are_recorded() -> None:
    resnet = build_model("resnet50")
    assert set(resnet.residual_spaces()) == {"layer1", "layer2", "layer3", "layer4"}
    assert set(resnet.producers("layer1")) == {
        "layer1.0.conv3", "layer1.0.downsample.0", "layer1.1.conv3", "layer1.2.conv3"}
    assert "fc" in resnet.consumers("layer4")
    inception = build_model("inception_v4")
    assert "features.4.branch0.0.conv" in inception.concat_layers()
    mobilenet = build_model("mobilenet_v2")
    assert "features.2.conv.1.0" in mobilenet.depthwise_layers()


def test_width_change_follows_the_union_of_a_residual_node() -> None:
    model = build_model("resnet50").with_widths({"layer1": 200, "layer1.0.conv1": 10})
    assert model.layer("layer1.0.conv3").cout == 200
    assert model.layer("layer1.0.downsample.0").cout == 200
    assert model.layer("layer1.1.conv1").cin == 200
    assert model.layer("layer2.0.downsample.0").cin == 200
    assert model.layer("layer1.0.conv2").cin == 10
    bn = model.layer("layer1.0.conv3.bn")
    assert bn.elements == 200 * 56 * 56  # element-wise layers follow their space


def test_depthwise_coupling_follows_width_change() -> None:
    model = build_model("mobilenet_v2").with_widths({"features.2.conv.0.0": 50})
    dw = model.layer("features.2.conv.1.0")
    assert isinstance(dw, ConvLayer)
    assert (dw.cin, dw.cout, dw.groups) == (50, 50, 50)
    assert model.layer("features.2.conv.2").cin == 50


def test_inception_concat_width_is_the_sum_of_its_parts() -> None:
    model = build_model("inception_v4").with_widths({"features.3.conv.conv": 90})
    assert model.layer("features.4.branch0.0.conv").cin == 64 + 90


def test_scaled_keeps_image_and_logits() -> None:
    model = build_model("resnet50").scaled(0.5)
    assert model.layer("conv1").cin == 3
    assert model.layer("fc").cout == 1000
    assert model.layer("conv1").cout == 32


def test_bert_base_gemms() -> None:
    model = build_model("bert_base", seq_len=128)
    assert model.layer("encoder.layer.0.attention.qkv").cout == 3 * 768
    score = model.layer("encoder.layer.0.attention.score")
    assert (score.m, score.n, score.k, score.count) == (128, 128, 64, 12)
    assert model.params == 12 * (768 * 2304 + 2304 + 768 * 768 + 768 + 2 * 768 * 3072 + 3072
                                 + 768)
    long = build_model("bert_base", seq_len=512)
    assert long.layer("encoder.layer.0.attention.context").k == 512


@pytest.mark.parametrize("bad", [
    {"name": "nope"},
    {"name": "resnet50", "width_mult": 0},
    {"name": "resnet50", "width_mult": -1.0},
    {"name": "inception_v4", "resolution": 32},
])
def test_bad_model_requests_raise_workload_error(bad: dict) -> None:
    knobs = dict(bad)
    name = knobs.pop("name")
    with pytest.raises(WorkloadError):
        build_model(name, **knobs)


def test_layer_validation_names_the_field() -> None:
    with pytest.raises(WorkloadError, match="cin"):
        ConvLayer("x", 0, 4, 3, 3, 8, 8)
    with pytest.raises(WorkloadError, match="groups"):
        ConvLayer("x", 6, 4, 3, 3, 8, 8, groups=4)
    with pytest.raises(WorkloadError, match="output size"):
        ConvLayer("x", 3, 4, 7, 7, 4, 4)
