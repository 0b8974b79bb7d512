"""PyTorch import: torch.fx tracing gives the same records as the ONNX export and the zoo."""

from __future__ import annotations

import io
import warnings

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from flexsa.errors import WorkloadError  # noqa: E402
from flexsa.workloads.importers.torch_import import import_torch  # noqa: E402
from flexsa.workloads.layers import ConvLayer, LinearLayer, MatMulLayer  # noqa: E402
from flexsa.workloads.lowering import lower_model  # noqa: E402
from flexsa.workloads.zoo import build_model  # noqa: E402
from tests.test_onnx_helpers import Attention, ResNet50, gemm_shapes  # noqa: E402


def test_traced_resnet50_matches_the_zoo():
    result = import_torch(ResNet50(0.125), torch.randn(2, 3, 32, 32))
    zoo = build_model("resnet50", width_mult=0.125, resolution=32)
    assert result.unsupported == ()
    assert gemm_shapes(lower_model(result.model, 4)) == gemm_shapes(lower_model(zoo, 4))
    assert len(result.model.residual_spaces()) == 4
    assert sorted((e.kind, e.elements, e.flops_per_element)
                  for e in result.model.elementwise_layers) == sorted(
        (e.kind, e.elements, e.flops_per_element) for e in zoo.elementwise_layers)


def test_traced_attention_matches_its_onnx_export():
    pytest.importorskip("onnx")
    from flexsa.workloads.importers.onnx_import import import_onnx

    module, x = Attention(seq=16, dim=32, heads=4), torch.randn(2, 16, 32)
    traced = import_torch(module, x).model
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buffer, dynamo=False)
    exported = import_onnx(buffer.getvalue()).model
    assert gemm_shapes(lower_model(traced, 2)) == gemm_shapes(lower_model(exported, 2))
    qkv, scores, context, proj = traced.gemm_layers
    assert isinstance(qkv, LinearLayer) and (qkv.cin, qkv.cout, qkv.tokens) == (32, 96, 16)
    assert isinstance(scores, MatMulLayer) and (scores.m, scores.n, scores.k,
                                                scores.count) == (16, 16, 8, 4)
    assert isinstance(context, MatMulLayer) and isinstance(proj, LinearLayer)
    assert traced.reads_model_input("qkv")       # the input projection needs no dgrad


class _Functional(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(8, 4, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.conv2d(x, self.weight, None, 2, 2, 2, 1)
        return torch.cumsum(nn.functional.relu(y), dim=1)


def test_functional_conv_with_dilation_and_unsupported_listed():
    result = import_torch(_Functional(), torch.randn(1, 4, 15, 15))
    (conv,) = result.model.gemm_layers
    assert isinstance(conv, ConvLayer)
    assert (conv.kh, conv.stride, conv.hout) == (3, 2, 8)   # torch gives 8x8 too
    assert [u.op_type for u in result.unsupported] == ["cumsum"]


class _Branchy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if x.sum() > 0 else -x


def test_untraceable_module_is_one_line_error():
    with pytest.raises(WorkloadError, match="cannot trace _Branchy"):
        import_torch(_Branchy(), torch.randn(1, 3))
