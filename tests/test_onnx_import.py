"""ONNX import: hand-built graphs (onnx.helper) and a torch export compared with the zoo."""

from __future__ import annotations

import io
import warnings

import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from flexsa.errors import WorkloadError  # noqa: E402
from flexsa.workloads.importers.onnx_import import (  # noqa: E402
    UnsupportedOpsWarning,
    import_onnx,
)
from flexsa.workloads.layers import ConvLayer, LinearLayer, MatMulLayer  # noqa: E402
from flexsa.workloads.lowering import lower_model  # noqa: E402
from flexsa.workloads.sources import load_workload  # noqa: E402
from flexsa.workloads.zoo import build_model  # noqa: E402


def _weight(name: str, *shape: int) -> onnx.TensorProto:
    import numpy as np

    return numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def _model(nodes, inputs, outputs, initializers=()) -> bytes:
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    return model.SerializeToString()


def _vi(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def conv_graph(**attrs) -> bytes:
    cin, cout, k = attrs.pop("cin", 8), attrs.pop("cout", 16), attrs.pop("k", 3)
    groups = attrs.get("group", 1)
    size = attrs.pop("size", 15)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    return _model([node], [_vi("x", ["N", cin, size, size])], [_vi("y", None)],
                  [_weight("w", cout, cin // groups, k, k)])


def only_conv(data: bytes) -> ConvLayer:
    model = import_onnx(data).model
    (layer,) = model.gemm_layers
    assert isinstance(layer, ConvLayer)
    return layer


def inferred_out(data: bytes) -> tuple[int, ...]:
    proto = onnx.load_model_from_string(data)
    proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    out = onnx.shape_inference.infer_shapes(proto).graph.output[0]
    return tuple(d.dim_value for d in out.type.tensor_type.shape.dim)


@pytest.mark.parametrize("attrs", [
    {"pads": [1, 1, 1, 1], "strides": [2, 2]},
    {"pads": [0, 0, 1, 1], "strides": [2, 2]},              # asymmetric (TF SAME)
    {"pads": [0, 1, 1, 0]},                                  # asymmetric, stride 1, odd total
    {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
    {"auto_pad": "SAME_LOWER", "k": 4},
    {"auto_pad": "VALID", "strides": [3, 3]},
    {"pads": [2, 2, 2, 2], "dilations": [2, 2]},             # dilated, "same"
    {"pads": [0, 0, 0, 0], "dilations": [3, 3], "strides": [2, 2]},
    {"pads": [1, 1, 1, 1], "group": 4},
    {"pads": [1, 1, 1, 1], "group": 8, "cout": 8},          # depthwise
])
def test_conv_output_size_and_gemm_k_exact(attrs):
    data = conv_graph(**dict(attrs))
    layer = only_conv(data)
    _, cout, ho, wo = inferred_out(data)
    k = attrs.get("k", 3)
    assert (layer.cout, layer.hout, layer.wout) == (cout, ho, wo)
    assert (layer.kh, layer.kw) == (k, k)          # dilation keeps the real taps
    fwd = lower_model(import_onnx(data).model, 2, "fwd", depthwise="per-channel")[0]
    assert fwd.k == layer.cin_per_group * k * k and fwd.m == 2 * ho * wo
    assert fwd.groups == attrs.get("group", 1)


def test_depthwise_conv_reads_and_writes_one_space():
    data = conv_graph(pads=[1, 1, 1, 1], group=8, cout=8)
    model = import_onnx(data).model
    assert model.depthwise_layers() == ["conv"]


def test_gemm_and_batched_matmul():
    nodes = [
        helper.make_node("Gemm", ["x", "w", "b"], ["h"], name="fc", transB=1),
        helper.make_node("Reshape", ["h", "shape"], ["h3"], name="r"),
        helper.make_node("Transpose", ["h3"], ["ht"], name="t", perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["h3", "ht"], ["s"], name="bmm"),
        helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1),
    ]
    import numpy as np

    shape = numpy_helper.from_array(np.array([4, 2, 8, 4], dtype=np.int64), "shape")
    data = _model(nodes, [_vi("x", [4, 32])], [_vi("p", None)],
                  [_weight("w", 64, 32), _weight("b", 64), shape])
    model = import_onnx(data).model
    fc, bmm = model.gemm_layers
    assert isinstance(fc, LinearLayer) and (fc.cin, fc.cout, fc.tokens, fc.bias) == (
        32, 64, 1, True)
    # 4 x 2 independent [8, 4] @ [4, 8] products for a graph batch of 4 -> 2 per sample
    assert isinstance(bmm, MatMulLayer) and (bmm.m, bmm.n, bmm.k, bmm.count) == (8, 8, 4, 2)
    (softmax,) = model.elementwise_layers
    assert softmax.elements == 2 * 8 * 8


def test_unsupported_ops_are_listed_not_dropped():
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["y"], name="conv"),
        helper.make_node("Relu", ["y"], ["r"], name="relu"),
        helper.make_node("Hardmax", ["r"], ["z"], name="weird"),
        helper.make_node("MyOp", ["z"], ["q"], name="custom", domain="com.example"),
    ]
    data = _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("q", None)], [_weight("w", 4, 3, 1, 1)])
    result = import_onnx(data)
    assert [(u.op_type, u.name) for u in result.unsupported] == [("Hardmax", "weird"),
                                                                  ("MyOp", "custom")]
    assert "2 unsupported op(s)" in result.warning_text("net.onnx")
    assert [layer.kind for layer in result.model.elementwise_layers] == ["relu"]


def test_residual_add_shares_one_space():
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["a"], name="c1"),
        helper.make_node("Conv", ["x", "w2"], ["b"], name="c2"),
        helper.make_node("Add", ["a", "b"], ["y"], name="add"),
        helper.make_node("Conv", ["y", "w3"], ["z"], name="c3"),
    ]
    data = _model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("z", None)],
                  [_weight("w1", 4, 3, 1, 1), _weight("w2", 4, 3, 1, 1),
                   _weight("w3", 5, 4, 1, 1)])
    model = import_onnx(data).model
    assert len(model.residual_spaces()) == 1
    (space,) = model.residual_spaces()
    assert sorted(model.producers(space)) == ["c1", "c2"] and model.consumers(space) == ["c3"]
    assert not model.reads_model_input("c3") and model.reads_model_input("c1")
    wider = model.with_widths({space: 6})
    assert wider.layer("c3").cin == 6 and wider.layer("c1").cout == 6


def test_corrupt_file_is_one_line_error(tmp_path, cli):
    path = tmp_path / "bad.onnx"
    path.write_bytes(b"\x08\x07garbage that is not protobuf \xff\xff")
    with pytest.raises(WorkloadError, match="not a valid ONNX model"):
        import_onnx(path)
    result = cli("model", "show", str(path), "--batch", "2")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not a valid ONNX model" in result.stderr


def test_graph_without_shapes_is_an_error():
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    data = _model([node], [_vi("x", None)], [_vi("y", None)], [_weight("w", 4, 3, 1, 1)])
    with pytest.raises(WorkloadError, match="no shape"):
        import_onnx(data)


def test_symbolic_non_batch_dim_is_an_error():
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    data = _model([node], [_vi("x", [1, 3, "H", 8])], [_vi("y", None)], [_weight("w", 4, 3, 1, 1)])
    with pytest.raises(WorkloadError, match="symbolic dimension 'H'"):
        import_onnx(data)


@pytest.fixture(scope="module")
def resnet_onnx(tmp_path_factory):
    torch = pytest.importorskip("torch")
    from tests.test_onnx_helpers import ResNet50

    path = tmp_path_factory.mktemp("onnx") / "resnet50.onnx"
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(ResNet50(0.125).train(), (torch.randn(2, 3, 32, 32),), buffer,
                          dynamo=False, training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False)
    path.write_bytes(buffer.getvalue())
    return path


def test_torch_exported_resnet50_matches_the_zoo(resnet_onnx):
    from tests.test_onnx_helpers import gemm_shapes

    imported = load_workload(str(resnet_onnx))
    zoo = build_model("resnet50", width_mult=0.125, resolution=32)
    assert gemm_shapes(lower_model(imported, 8)) == gemm_shapes(lower_model(zoo, 8))
    # same channel graph: four residual nodes, same number of spaces, same SIMD work
    assert len(imported.residual_spaces()) == 4
    assert len(imported.spaces) == len(zoo.spaces)
    assert sorted((e.kind, e.elements, e.flops_per_element) for e in
                  imported.elementwise_layers) == sorted(
        (e.kind, e.elements, e.flops_per_element) for e in zoo.elementwise_layers)
    half = imported.scaled(0.5)
    assert half.macs < imported.macs


def test_model_show_accepts_onnx_file(resnet_onnx, cli):
    import json

    result = cli("model", "show", str(resnet_onnx), "--batch", "4", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    zoo = build_model("resnet50", width_mult=0.125, resolution=32)
    assert payload["totals"]["all"] == sum(g.macs for g in lower_model(zoo, 4))


def test_unsupported_ops_warn_when_loading_a_file(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="conv"),
             helper.make_node("Hardmax", ["y"], ["z"], name="weird")]
    path = tmp_path / "net.onnx"
    path.write_bytes(_model(nodes, [_vi("x", [1, 3, 8, 8])], [_vi("z", None)],
                            [_weight("w", 4, 3, 1, 1)]))
    with pytest.warns(UnsupportedOpsWarning, match="Hardmax"):
        load_workload(str(path))


# ------------------------------------------------------------------ SCALE-Sim topology CSVs
TOPOLOGY = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, \
Num Filter, Strides,
conv1, 229, 229, 7, 7, 3, 64, 2,
conv2, 58, 58, 3, 3, 64, 64, 1,
DPconv, 16, 16, 3, 3, 32, 1, 2,
"""


def test_topology_csv_loads_with_scalesim_gemms(tmp_path, cli):
    scalesim_io = pytest.importorskip("flexsa.workloads.scalesim_io")
    path = tmp_path / "net.csv"
    path.write_text(TOPOLOGY)
    model = load_workload(str(path))
    rows = scalesim_io.read_topology(path)
    fwd = lower_model(model, 1, "fwd", depthwise="per-channel")
    assert [(g.m, g.n, g.k, g.groups) for g in fwd] == [
        (r.gemm_m, r.gemm_n, r.gemm_k, r.copies) for r in rows]
    assert model.reads_model_input("conv1")
    assert [g.phase.value for g in lower_model(model, 2) if g.layer == "conv1"] == [
        "fwd", "wgrad"]
    with pytest.raises(WorkloadError, match="width-mult"):
        load_workload(str(path), width_mult=0.5)
    result = cli("model", "show", str(path), "--batch", "2", "--csv", "--depthwise",
                 "per-channel")
    assert result.returncode == 0 and result.stdout.startswith("layer,phase,m,n,k")
    assert "DPconv,fwd,128,1,9,32" in result.stdout   # 2 x 8x8 outputs, 32 copies
