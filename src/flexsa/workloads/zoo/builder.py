"""A small graph builder used by the model zoo definitions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flexsa.errors import WorkloadError
from flexsa.workloads.layers import (
    ConvLayer,
    ElementwiseLayer,
    Layer,
    LinearLayer,
    MatMulLayer,
    conv_out_size,
)
from flexsa.workloads.model import INPUT_SPACE, Model, Node, Space


@dataclass(frozen=True)
class Tensor:
    """An activation: the channel spaces it concatenates and its spatial size."""

    spaces: tuple[str, ...]
    h: int
    w: int


def make_divisible(value: float, divisor: int = 8) -> int:
    """torchvision's ``_make_divisible``: round to a multiple of ``divisor``, losing < 10%."""
    new_value = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new_value < 0.9 * value:
        new_value += divisor
    return new_value


class NetBuilder:
    """Collects layers, channel spaces and wiring; ``build()`` returns a frozen Model."""

    def __init__(self, name: str, channels: int, height: int, width: int,
                 width_fn: Callable[[int], int] | None = None) -> None:
        self.name = name
        self._layers: list[Layer] = []
        self._nodes: list[Node] = []
        self._spaces: dict[str, Space] = {INPUT_SPACE: Space(INPUT_SPACE, channels, False)}
        self._width_fn = width_fn or (lambda c: c)
        self._input_shape = (channels, height, width)
        self.input = Tensor((INPUT_SPACE,), height, width)

    def width_of(self, tensor: Tensor) -> int:
        return sum(self._spaces[s].width for s in tensor.spaces)

    def _space(self, name: str, width: int, prunable: bool) -> str:
        existing = self._spaces.get(name)
        if existing is None:
            self._spaces[name] = Space(name, width, prunable)
        elif existing.width != width:
            raise WorkloadError(f"space {name!r} written with widths {existing.width} and {width}")
        return name

    def conv(self, name: str, x: Tensor, cout: int, kernel: int | tuple[int, int],
             stride: int = 1, pad: int | tuple[int, int] = 0, *, out_space: str | None = None,
             bn: bool = True, bias: bool = False, act: str | None = "relu", block: str = "",
             scale: bool = True) -> Tensor:
        """A convolution (+BN +activation). ``scale`` applies the width function to ``cout``."""
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        ph, pw = (pad, pad) if isinstance(pad, int) else pad
        cin = self.width_of(x)
        width = self._width_fn(cout) if scale else cout
        out = self._space(out_space or name, width, True)
        layer = ConvLayer(name, cin, width, kh, kw, x.h, x.w, stride, ph, pw, 1, bias, bn)
        self._add(layer, Node(name, x.spaces, out, block))
        y = Tensor((out,), layer.hout, layer.wout)
        self._post(name, y, bn, act, block)
        return y

    def depthwise(self, name: str, x: Tensor, kernel: int, stride: int = 1, pad: int = 0, *,
                  act: str | None = "relu", block: str = "") -> Tensor:
        if len(x.spaces) != 1:
            raise WorkloadError(f"depthwise layer {name!r} needs a single input space")
        cin = self.width_of(x)
        layer = ConvLayer(name, cin, cin, kernel, kernel, x.h, x.w, stride, pad, pad, cin)
        self._add(layer, Node(name, x.spaces, x.spaces[0], block))
        y = Tensor(x.spaces, layer.hout, layer.wout)
        self._post(name, y, True, act, block)
        return y

    def linear(self, name: str, x: Tensor, cout: int, *, tokens: int = 1, bias: bool = True,
               out_space: str | None = None, prunable: bool = True, scale: bool = True,
               block: str = "") -> Tensor:
        width = self._width_fn(cout) if scale else cout
        out = self._space(out_space or name, width, prunable)
        layer = LinearLayer(name, self.width_of(x), width, tokens, bias)
        self._add(layer, Node(name, x.spaces, out, block))
        return Tensor((out,), 1, 1)

    def matmul(self, name: str, m: int, n: int, k: int, count: int) -> None:
        self._layers.append(MatMulLayer(name, m, n, k, count))

    def eltwise(self, name: str, x: Tensor, kind: str, flops: int = 1, inputs: int = 1,
                block: str = "") -> None:
        """An element-wise op over ``x`` (one space), sized by the space's width."""
        spatial = x.h * x.w
        elements = self.width_of(x) * spatial
        self._layers.append(ElementwiseLayer(name, kind, elements, flops, inputs))
        if len(x.spaces) == 1:
            self._nodes.append(Node(name, x.spaces, x.spaces[0], block, spatial))

    def eltwise_fixed(self, name: str, kind: str, elements: int, flops: int = 1) -> None:
        """An element-wise op whose size does not follow any channel space."""
        self._layers.append(ElementwiseLayer(name, kind, elements, flops))

    def space(self, name: str, width: int, prunable: bool = True) -> Tensor:
        """Declare a channel space produced outside the GEMM layers (e.g. embeddings)."""
        return Tensor((self._space(name, width, prunable),), 1, 1)

    def pool(self, name: str, x: Tensor, kernel: int, stride: int, pad: int = 0,
             kind: str = "maxpool") -> Tensor:
        h = conv_out_size(x.h, kernel, stride, pad)
        w = conv_out_size(x.w, kernel, stride, pad)
        if h <= 0 or w <= 0:
            raise WorkloadError(f"layer {name!r}: pooling leaves a {h}x{w} map; use a larger input")
        y = Tensor(x.spaces, h, w)
        for i, space in enumerate(x.spaces):
            self.eltwise(f"{name}.{i}" if len(x.spaces) > 1 else name,
                         Tensor((space,), h, w), kind, kernel * kernel)
        return y

    def global_pool(self, name: str, x: Tensor) -> Tensor:
        for i, space in enumerate(x.spaces):
            self.eltwise(f"{name}.{i}" if len(x.spaces) > 1 else name,
                         Tensor((space,), x.h, x.w), "avgpool", 1)
        return Tensor(x.spaces, 1, 1)

    @staticmethod
    def cat(*tensors: Tensor) -> Tensor:
        if len({(t.h, t.w) for t in tensors}) != 1:
            raise WorkloadError("concatenated tensors differ in spatial size")
        return Tensor(tuple(s for t in tensors for s in t.spaces), tensors[0].h, tensors[0].w)

    def _post(self, name: str, y: Tensor, bn: bool, act: str | None, block: str) -> None:
        if bn:
            self.eltwise(f"{name}.bn", y, "bn", 2, block=block)
        if act:
            self.eltwise(f"{name}.{act}", y, act, 1, block=block)

    def _add(self, layer: Layer, node: Node) -> None:
        self._layers.append(layer)
        self._nodes.append(node)

    def build(self) -> Model:
        return Model(self.name, tuple(self._layers), tuple(self._nodes),
                     tuple(self._spaces.values()), self._input_shape)
