"""Depthwise convolutions: the ``depthwise`` knob (simd / per-channel / packed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from flexsa.arch import arch_from_dict, load_arch
from flexsa.compiler import compile_gemm, compile_program
from flexsa.errors import WorkloadError
from flexsa.sim.fast import gemm_stats
from flexsa.sim.functional import execute_program
from flexsa.sim.reference import simulate_program
from flexsa.sim.simd import DEFAULT_SIMD_GFLOPS, depthwise_breakdown, simd_cycles
from flexsa.workloads import ConvLayer, Phase, build_model
from flexsa.workloads.depthwise import (
    depthwise_convs,
    pack_gemm,
    pack_operands,
    parse_depthwise,
    unpack_result,
)
from flexsa.workloads.lowering import lower_layer, lower_model, phase_totals

# a FlexSA unit of 2x2 cores of 10x4 PEs: a 20x8 stationary tile packs two 3x3 channels
FLEX = arch_from_dict({"name": "flex10x4", "groups": 1, "cores_per_group": 4,
                       "core_rows": 10, "core_cols": 4, "flexsa": True})
SHAPE = (FLEX.blk_k, FLEX.blk_n)
DW = ConvLayer("dw", 5, 5, 3, 3, 6, 6, stride=2, pad_h=1, pad_w=1, groups=5)


def _small_mobilenet():
    return build_model("mobilenet_v2", resolution=32)


def test_default_runs_depthwise_on_simd_not_as_n1_gemms():
    """Today's problem: depthwise convs could only be lowered per channel (N = 1 GEMMs,
    ~1% of the array). The default now emits no GEMM for them; per-channel keeps them."""
    model = _small_mobilenet()
    names = {layer.name for layer in depthwise_convs(model)}
    assert len(names) == 17
    simd = lower_model(model, 2)
    per_channel = lower_model(model, 2, depthwise="per-channel")
    assert not [g for g in simd if g.layer in names]
    dw = [g for g in per_channel if g.layer in names]
    assert dw and all(g.n == 1 for g in dw)
    missing = phase_totals(per_channel)["all"] - phase_totals(simd)["all"]
    assert missing == sum(g.macs for g in dw)


def test_packed_shapes_and_useful_macs():
    per_channel = {g.phase: g for g in lower_layer(DW, 2, (Phase.FWD, Phase.WGRAD))}
    fwd = pack_gemm(per_channel[Phase.FWD], SHAPE)  # P = min(20 // 9, 8) = 2: 2 packs + 1
    assert [(g.m, g.n, g.k, g.groups) for g in fwd] == [(18, 2, 18, 2), (18, 1, 9, 1)]
    wgrad = pack_gemm(per_channel[Phase.WGRAD], SHAPE)  # P = min(8, 5) = 5: one pack
    assert [(g.m, g.n, g.k, g.groups) for g in wgrad] == [(45, 5, 18, 1)]
    for packed, gemm in ((fwd, per_channel[Phase.FWD]), (wgrad, per_channel[Phase.WGRAD])):
        assert sum(g.macs for g in packed) == gemm.macs
        assert all("packed" in g.part for g in packed)
    model = _small_mobilenet()
    packed = lower_model(model, 2, depthwise="packed", pack_shape=(128, 128))
    per = lower_model(model, 2, depthwise="per-channel")
    assert phase_totals(packed) == phase_totals(per)
    names = {layer.name for layer in depthwise_convs(model)}
    assert max(g.n for g in packed if g.layer in names and g.phase is Phase.FWD) == 14


def _im2col(x: np.ndarray, layer: ConvLayer) -> np.ndarray:
    """(C, B*Ho*Wo, kh*kw) patches of each channel."""
    pad = np.pad(x, ((0, 0), (0, 0), (layer.pad_h,) * 2, (layer.pad_w,) * 2))
    s, ho, wo = layer.stride, layer.hout, layer.wout
    cols = [pad[:, :, i:i + s * ho:s, j:j + s * wo:s] for i in range(layer.kh)
            for j in range(layer.kw)]
    patches = np.stack(cols, axis=-1)  # B, C, Ho, Wo, taps
    return patches.transpose(1, 0, 2, 3, 4).reshape(x.shape[1], -1, layer.kh * layer.kw)


def _direct(x: np.ndarray, w: np.ndarray, layer: ConvLayer) -> np.ndarray:
    pad = np.pad(x, ((0, 0), (0, 0), (layer.pad_h,) * 2, (layer.pad_w,) * 2))
    out = np.zeros((x.shape[0], x.shape[1], layer.hout, layer.wout), dtype=np.int64)
    for i in range(layer.kh):
        for j in range(layer.kw):
            window = pad[:, :, i:i + layer.stride * layer.hout:layer.stride,
                         j:j + layer.stride * layer.wout:layer.stride]
            out += window * w[None, :, i, j, None, None]
    return out


def _run_packed(phase: Phase, packed, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Execute the packed GEMMs on per-channel operands; per-channel results."""
    results, start = [], 0
    for gemm in packed:
        p = gemm.n // b.shape[2]
        ops = [pack_operands(phase, a[start + i * p:start + (i + 1) * p],
                             b[start + i * p:start + (i + 1) * p]) for i in range(gemm.groups)]
        pa, pb = (np.concatenate(x) for x in zip(*ops, strict=True))
        prog = compile_program(FLEX, gemm)
        c = execute_program(FLEX, prog, pa, pb)
        results += [unpack_result(phase, c[i:i + 1], p) for i in range(gemm.groups)]
        start += p * gemm.groups
    return np.concatenate(results)


def test_packed_forward_executes_to_the_direct_depthwise_conv():
    rng = np.random.default_rng(3)
    x = rng.integers(-5, 6, (2, DW.cin, DW.hin, DW.win))
    w = rng.integers(-5, 6, (DW.cin, DW.kh, DW.kw))
    (gemm,) = lower_layer(DW, 2, (Phase.FWD,))
    a = _im2col(x, DW)
    b = w.reshape(DW.cin, -1, 1)
    got = _run_packed(Phase.FWD, pack_gemm(gemm, SHAPE), a, b)
    out = got[:, :, 0].reshape(DW.cin, 2, DW.hout, DW.wout).transpose(1, 0, 2, 3)
    assert np.array_equal(out, _direct(x, w, DW))


@pytest.mark.parametrize("phase", [Phase.DGRAD, Phase.WGRAD])
def test_packed_backward_gemms_execute_like_their_channels(phase):
    rng = np.random.default_rng(7)
    for gemm in lower_layer(DW, 2, (phase,)):
        a = rng.integers(-6, 7, (gemm.groups, gemm.m, gemm.k))
        b = rng.integers(-6, 7, (gemm.groups, gemm.k, gemm.n))
        packed = pack_gemm(gemm, SHAPE)
        assert len(packed) >= 1 and packed[0].n > 1
        assert np.array_equal(_run_packed(phase, packed, a, b), a @ b)


def test_packed_gemm_pe_reference_agrees_with_fast_model():
    (gemm,) = lower_layer(ConvLayer("dw", 4, 4, 3, 3, 4, 4, pad_h=1, pad_w=1, groups=4), 1,
                          (Phase.FWD,))
    packed = pack_gemm(gemm, SHAPE)[0]  # 16 x 2 x 18, two instances
    rng = np.random.default_rng(1)
    a = rng.integers(-9, 10, (packed.groups, packed.m, packed.k))
    b = rng.integers(-9, 10, (packed.groups, packed.k, packed.n))
    prog = compile_program(FLEX, packed)
    cycles, c, _ = simulate_program(FLEX, prog, a, b)
    assert np.array_equal(c, a @ b)
    assert cycles == gemm_stats(FLEX, compile_gemm(FLEX, packed)).cycles


def test_simd_depthwise_cycles_hand_computed():
    model, arch, batch = _small_mobilenet(), load_arch("1G1C"), 4
    rate = DEFAULT_SIMD_GFLOPS / arch.clock_ghz
    # ideal memory: compute bound; forward, data and weight gradient: 2 FLOPs per MAC each
    expect = sum(3 * math.ceil(2 * batch * layer.macs / rate) for layer in depthwise_convs(model))
    ideal = depthwise_breakdown(model, batch, arch, memory="ideal")
    assert ideal.cycles == expect
    assert ideal.fwd_cycles * 2 == ideal.bwd_cycles
    assert depthwise_breakdown(model, batch, arch, memory="hbm2").cycles >= ideal.cycles
    fwd_only = depthwise_breakdown(model, batch, arch, memory="ideal", phases="fwd")
    assert fwd_only.cycles == ideal.fwd_cycles
    with_dw = simd_cycles(model, batch, arch, memory="hbm2")
    without = simd_cycles(model, batch, arch, memory="hbm2", depthwise="per-channel")
    assert with_dw - without == depthwise_breakdown(model, batch, arch, memory="hbm2").cycles


def test_simulate_model_reports_the_depthwise_choice():
    from flexsa.pipeline import simulate_model

    model, arch = _small_mobilenet(), load_arch("1G1F")
    simd = simulate_model(arch, model, 4)
    packed = simulate_model(arch, model, 4, depthwise="packed")
    per = simulate_model(arch, model, 4, depthwise="per-channel")
    assert simd.depthwise is not None and simd.depthwise.lowering == "simd"
    assert not simd.depthwise.in_pe_utilization
    assert packed.as_dict()["depthwise"]["pack_shape"] == [128, 128]
    assert simd.macs < packed.macs == per.macs
    assert per.cycles > packed.cycles > simd.cycles
    assert simd.simd_cycles > per.simd_cycles == packed.simd_cycles
    assert simd.pe_utilization > packed.pe_utilization > per.pe_utilization


def test_unknown_depthwise_value_is_one_line():
    with pytest.raises(WorkloadError, match="depthwise must be one of simd, per-channel, packed"):
        parse_depthwise("channels")
    with pytest.raises(WorkloadError, match="depthwise"):
        lower_model(_small_mobilenet(), 1, depthwise="nope")
    assert parse_depthwise("PER_CHANNEL").value == "per-channel"


@pytest.mark.parametrize("args", [
    ("simulate", "--arch", "1G1C", "--model", "mobilenet_v2", "--batch", "2"),
    ("model", "show", "mobilenet_v2", "--batch", "2"),
    ("reproduce", "flexsa", "--out", "OUT", "--models", "mobilenet_v2"),
])
def test_cli_bad_depthwise_exit_2(cli, tmp_path, args):
    args = tuple(str(tmp_path) if a == "OUT" else a for a in args)
    out = cli(*args, "--depthwise", "rows")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--depthwise" in out.stderr


def test_evaluation_passes_the_knob_and_says_so():
    from flexsa.report.evaluation.matrix import VARIANTS, EvalSettings
    from flexsa.report.evaluation.outputs import DEPTHWISE_NOTES
    from flexsa.studies.flexsa_backend import ToolkitBackend
    from flexsa.studies.flexsa_units import targets_for

    mobilenet = next(v for v in VARIANTS if v.model == "mobilenet_v2")
    assert not any(t.study == "nodw" for t in targets_for(EvalSettings(), mobilenet))
    assert any(t.study == "nodw"
               for t in targets_for(EvalSettings(depthwise="packed"), mobilenet))
    assert EvalSettings(depthwise="packed").fingerprint()["depthwise"] == "packed"
    assert "excluded from PE utilization" in DEPTHWISE_NOTES["simd"]
    backend, model = ToolkitBackend(), _small_mobilenet()
    packed = backend.workload(model, 2, "split", depthwise="packed", arch_name="4G4C")
    assert max(g.n for g in packed.gemms if "packed" in g.part) <= 32
    simd = backend.workload(model, 2, "split")
    names = {layer.name for layer in depthwise_convs(model)}
    assert simd.depthwise == "simd" and not [g for g in simd.gemms if g.layer in names]
    with_dw = backend.simulate_many("1G1C", simd, ["ideal"])["ideal"]
    per = backend.workload(model, 2, "split", depthwise="per-channel")
    without = backend.simulate_many("1G1C", per, ["ideal"])["ideal"]
    assert with_dw.simd_cycles > without.simd_cycles
    assert with_dw.pe_utilization > without.pe_utilization
