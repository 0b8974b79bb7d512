"""Write the example inputs the README uses: ``net.onnx`` and ``layer.npy`` (both committed).

    python examples/make_examples.py            # rewrites examples/net.onnx, examples/layer.npy

``net.onnx`` is a small CNN for 32x32 RGB images (conv 3->16, conv 16->32 stride 2, global
average pool, fully connected 32->10; opset 17) with seeded random weights: flexsa imports
its GEMM shapes (``flexsa model show examples/net.onnx --batch 32``). Needs the ``onnx``
extra. ``layer.npy`` is a pruned 3x3 convolution's filter matrix, 64 filters x 144 columns
(16 channels x 3 x 3), float32, with about 15% of the weights left nonzero
(``flexsa pack --weights examples/layer.npy ...``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def write_layer(path: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((64, 144)).astype(np.float32)
    weights[rng.random(weights.shape) >= 0.15] = 0.0
    np.save(path, weights)


def write_onnx(path: Path, seed: int = 0) -> None:
    from onnx import TensorProto, helper, numpy_helper, save_model

    rng = np.random.default_rng(seed)

    def init(name: str, *shape: int) -> object:
        return numpy_helper.from_array(
            (0.1 * rng.standard_normal(shape)).astype(np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], name="fc", transB=1),
    ]
    inits = [init("w1", 16, 3, 3, 3), init("b1", 16), init("w2", 32, 16, 3, 3),
             init("b2", 32), init("w3", 10, 32), init("b3", 10)]
    graph = helper.make_graph(
        nodes, "example_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="flexsa examples/make_examples.py")
    model.ir_version = 8
    save_model(model, str(path))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="directory (default: examples/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    write_layer(args.out / "layer.npy")
    write_onnx(args.out / "net.onnx")
    print(f"wrote {args.out / 'layer.npy'} and {args.out / 'net.onnx'}")


if __name__ == "__main__":
    main()
