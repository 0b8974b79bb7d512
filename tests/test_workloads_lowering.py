"""Lowering layers to training GEMMs: shapes, useful MACs, dgrad forms, golden totals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flexsa.errors import WorkloadError
from flexsa.workloads import ConvLayer, LinearLayer, MatMulLayer, Phase, build_model
from flexsa.workloads.lowering import DgradForm, lower_layer, lower_model, phase_totals

# Golden useful-MAC totals at batch 32 (default split dgrad form, every conv lowered to GEMMs:
# depthwise per channel). A refactor must keep them.
GOLDEN_BATCH32 = {
    "resnet50": {"fwd": 130_853_896_192, "dgrad": 127_077_449_728,
                 "wgrad": 130_853_896_192, "all": 388_785_242_112},
    "inception_v4": {"fwd": 392_127_187_968, "dgrad": 391_513_374_720,
                     "wgrad": 392_127_187_968, "all": 1_175_767_750_656},
    "mobilenet_v2": {"fwd": 9_624_776_704, "dgrad": 9_277_960_192,
                     "wgrad": 9_624_776_704, "all": 28_527_513_600},
    "bert_base": {"fwd": 357_556_027_392, "dgrad": 357_556_027_392,
                  "wgrad": 357_556_027_392, "all": 1_072_668_082_176},
}


@pytest.mark.parametrize("name", sorted(GOLDEN_BATCH32))
def test_golden_totals(name: str) -> None:
    totals = phase_totals(lower_model(build_model(name), 32, depthwise="per-channel"))
    assert totals == GOLDEN_BATCH32[name]


@pytest.mark.parametrize("name", ["resnet50", "inception_v4", "mobilenet_v2"])
def test_fwd_equals_wgrad_and_dgrad_is_fwd_minus_first_layer(name: str) -> None:
    model = build_model(name)
    totals = phase_totals(lower_model(model, 8, depthwise="per-channel"))
    first = model.gemm_layers[0]
    assert totals["fwd"] == totals["wgrad"] == 8 * model.macs
    assert totals["dgrad"] == 8 * (model.macs - first.macs)


def test_conv_phase_shapes_follow_the_spec_table() -> None:
    layer = ConvLayer("c", 64, 128, 3, 3, 56, 56, stride=1, pad_h=1, pad_w=1)
    fwd, dgrad, wgrad = lower_layer(layer, 32)
    assert (fwd.phase, fwd.m, fwd.n, fwd.k) == (Phase.FWD, 32 * 56 * 56, 128, 64 * 9)
    assert (dgrad.phase, dgrad.m, dgrad.n, dgrad.k) == (Phase.DGRAD, 32 * 56 * 56, 64, 128 * 9)
    assert (wgrad.phase, wgrad.m, wgrad.n, wgrad.k) == (Phase.WGRAD, 64 * 9, 128, 32 * 56 * 56)
    assert fwd.macs == dgrad.macs == wgrad.macs == 32 * layer.macs


def test_grouped_and_depthwise_are_per_group_with_a_count() -> None:
    dw = ConvLayer("dw", 96, 96, 3, 3, 28, 28, stride=1, pad_h=1, pad_w=1, groups=96)
    fwd, dgrad, wgrad = lower_layer(dw, 4)
    assert (fwd.m, fwd.n, fwd.k, fwd.groups) == (4 * 28 * 28, 1, 9, 96)
    assert (wgrad.m, wgrad.n, wgrad.k, wgrad.groups) == (9, 1, 4 * 28 * 28, 96)
    assert dgrad.groups == 96
    grouped = ConvLayer("g", 64, 32, 1, 1, 8, 8, groups=4)
    (fwd,) = lower_layer(grouped, 2, [Phase.FWD])
    assert (fwd.n, fwd.k, fwd.groups) == (8, 16, 4)


def test_strided_dgrad_split_multiplies_no_inserted_zeros() -> None:
    layer = ConvLayer("s", 64, 128, 3, 3, 56, 56, stride=2, pad_h=1, pad_w=1)
    split = lower_layer(layer, 2, [Phase.DGRAD])
    # 3x3 stride 2: phases with 2x2, 2x1 (twice), 1x1 taps over 28x28 pixels each
    shapes = sorted((g.m, g.k, g.groups) for g in split)
    assert shapes == sorted([(2 * 28 * 28, 128 * 4, 1), (2 * 28 * 28, 128 * 2, 2),
                             (2 * 28 * 28, 128 * 1, 1)])
    assert sum(g.executed_macs for g in split) == 2 * layer.macs
    assert sum(g.macs for g in split) == 2 * layer.macs
    (implicit,) = lower_layer(layer, 2, [Phase.DGRAD], DgradForm.IMPLICIT)
    assert implicit.executed_macs == 4 * 2 * layer.macs  # three of four products are zeros
    assert implicit.macs == 2 * layer.macs
    (col2im,) = lower_layer(layer, 2, [Phase.DGRAD], DgradForm.COL2IM)
    assert (col2im.m, col2im.n, col2im.k) == (2 * 28 * 28, 64 * 9, 128)
    assert col2im.executed_macs == col2im.macs == 2 * layer.macs


def test_strided_1x1_dgrad_skips_pixels_no_tap_reaches() -> None:
    layer = ConvLayer("ds", 256, 512, 1, 1, 56, 56, stride=2)
    (gemm,) = lower_layer(layer, 1, [Phase.DGRAD])
    assert (gemm.m, gemm.n, gemm.k, gemm.part) == (28 * 28, 256, 512, "s00")


@settings(max_examples=60, deadline=None)
@given(size=st.integers(4, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4),
       pad=st.integers(0, 3))
def test_split_dgrad_executes_exactly_the_transposed_conv(size: int, kernel: int, stride: int,
                                                          pad: int) -> None:
    """Sum over sub-GEMMs of executed MACs = (input pixel, tap) pairs of matching phase."""
    if (size + 2 * pad - kernel) // stride + 1 <= 0 or pad >= kernel:
        return
    layer = ConvLayer("x", 3, 5, kernel, kernel, size, size, stride=stride, pad_h=pad, pad_w=pad)
    gemms = lower_layer(layer, 1, [Phase.DGRAD])
    hi = np.arange(size)[:, None]
    taps = np.arange(kernel)[None, :]
    pairs_1d = int(((hi + pad - taps) % stride == 0).sum())
    assert sum(g.executed_macs for g in gemms) == pairs_1d**2 * 3 * 5
    assert sum(g.macs for g in gemms) == layer.macs


def test_linear_and_matmul_lowering() -> None:
    linear = LinearLayer("fc", 2048, 1000, tokens=3)
    fwd, dgrad, wgrad = lower_layer(linear, 4)
    assert (fwd.m, fwd.n, fwd.k) == (12, 1000, 2048)
    assert (dgrad.m, dgrad.n, dgrad.k) == (12, 2048, 1000)
    assert (wgrad.m, wgrad.n, wgrad.k) == (2048, 1000, 12)
    score = MatMulLayer("score", 128, 128, 64, count=12)
    fwd, dgrad, wgrad = lower_layer(score, 2)
    assert (fwd.m, fwd.n, fwd.k, fwd.groups) == (128, 128, 64, 24)
    assert (dgrad.m, dgrad.n, dgrad.k) == (128, 64, 128)
    assert (wgrad.m, wgrad.n, wgrad.k) == (64, 128, 128)


def test_first_layer_has_no_data_gradient_and_phase_filter() -> None:
    model = build_model("resnet50")
    gemms = lower_model(model, 1)
    assert not [g for g in gemms if g.layer == "conv1" and g.phase is Phase.DGRAD]
    assert {g.phase for g in lower_model(model, 1, "wgrad")} == {Phase.WGRAD}
    bert = lower_model(build_model("bert_base"), 1, "dgrad")
    assert bert[0].layer == "encoder.layer.0.attention.qkv"  # embeddings are trained


@pytest.mark.parametrize("batch", [0, -3])
def test_bad_batch(batch: int) -> None:
    with pytest.raises(WorkloadError, match="batch"):
        lower_model(build_model("resnet50"), batch)


def test_bad_phase_and_form() -> None:
    with pytest.raises(WorkloadError, match="phase"):
        lower_model(build_model("resnet50"), 1, "backward")
    with pytest.raises(WorkloadError, match="dgrad form"):
        lower_model(build_model("resnet50"), 1, "all", "zeros")
