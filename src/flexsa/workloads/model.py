"""A model: its layers plus the channel graph that pruning and width control need.

Channels live in named *spaces*. Every GEMM layer reads the concatenation of one or more
spaces and writes one space:

* a **residual node** is a space written by several layers (the last conv of every block of
  a stage and the downsample conv); all of them share its width;
* a **concatenation** is a layer whose ``inputs`` name several spaces (Inception);
* **depthwise coupling** is a layer that reads and writes the same space (``groups`` =
  channels), so its input and output widths are one number.

Changing the width of a space therefore changes every coupled layer together, and
:meth:`Model.with_widths` rebuilds the layer records from a width per space.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property

from flexsa.errors import WorkloadError
from flexsa.validation import as_float, positive
from flexsa.workloads.layers import (
    ConvLayer,
    ElementwiseLayer,
    GemmLayer,
    Layer,
    LinearLayer,
    MatMulLayer,
)

INPUT_SPACE = "input"


@dataclass(frozen=True)
class Space:
    """A channel dimension shared by every layer that reads or writes it."""

    name: str
    width: int
    prunable: bool = True


@dataclass(frozen=True)
class Node:
    """Channel wiring of one layer: the spaces it reads (concatenated) and the one it writes.

    ``block`` names the removable residual branch the layer belongs to ("" if none). For an
    element-wise layer ``inputs == (output,)`` and ``spatial`` is the number of elements per
    channel, so its size follows the space's width.
    """

    layer: str
    inputs: tuple[str, ...]
    output: str
    block: str = ""
    spatial: int = 0

    @property
    def depthwise_coupled(self) -> bool:
        return self.inputs == (self.output,)


@dataclass(frozen=True)
class Model:
    """A network: layers in execution order, their channel wiring, and the spaces' widths."""

    name: str
    layers: tuple[Layer, ...]
    nodes: tuple[Node, ...]
    spaces: tuple[Space, ...]
    input_shape: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise WorkloadError(f"model {self.name!r}: duplicate layer names")
        known = {space.name for space in self.spaces}
        layer_names = set(names)
        for node in self.nodes:
            if node.layer not in layer_names:
                raise WorkloadError(f"model {self.name!r}: node for unknown layer {node.layer!r}")
            for space in (*node.inputs, node.output):
                if space not in known:
                    raise WorkloadError(
                        f"model {self.name!r}: layer {node.layer!r} uses unknown space {space!r}"
                    )

    # ----------------------------------------------------------------- look-ups
    @cached_property
    def _layer_index(self) -> dict[str, Layer]:
        return {layer.name: layer for layer in self.layers}

    @cached_property
    def _node_index(self) -> dict[str, Node]:
        return {node.layer: node for node in self.nodes}

    @cached_property
    def widths(self) -> dict[str, int]:
        return {space.name: space.width for space in self.spaces}

    def layer(self, name: str) -> Layer:
        try:
            return self._layer_index[name]
        except KeyError:
            raise WorkloadError(f"model {self.name!r} has no layer {name!r}") from None

    def node(self, name: str) -> Node | None:
        return self._node_index.get(name)

    @property
    def gemm_layers(self) -> tuple[GemmLayer, ...]:
        return tuple(layer for layer in self.layers if not isinstance(layer, ElementwiseLayer))

    @property
    def elementwise_layers(self) -> tuple[ElementwiseLayer, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, ElementwiseLayer))

    def reads_model_input(self, layer_name: str) -> bool:
        """True for layers fed by the model input (they need no data gradient)."""
        node = self.node(layer_name)
        return node is not None and INPUT_SPACE in node.inputs

    def producers(self, space: str) -> list[str]:
        return [n.layer for n in self.nodes if n.output == space and not n.depthwise_coupled
                and not isinstance(self.layer(n.layer), ElementwiseLayer)]

    def consumers(self, space: str) -> list[str]:
        return [n.layer for n in self.nodes if space in n.inputs and not n.depthwise_coupled
                and not isinstance(self.layer(n.layer), ElementwiseLayer)]

    def residual_spaces(self) -> list[str]:
        """Spaces written by more than one GEMM layer (residual nodes)."""
        return [s.name for s in self.spaces if len(self.producers(s.name)) > 1]

    def concat_layers(self) -> list[str]:
        return [n.layer for n in self.nodes if len(n.inputs) > 1]

    def depthwise_layers(self) -> list[str]:
        return [n.layer for n in self.nodes if n.depthwise_coupled
                and isinstance(self.layer(n.layer), ConvLayer)]

    # ----------------------------------------------------------------- totals
    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.gemm_layers)

    @property
    def macs(self) -> int:
        """Forward MACs per sample of the GEMM layers."""
        return sum(layer.macs for layer in self.gemm_layers)

    # ----------------------------------------------------------------- width control
    def with_widths(self, widths: Mapping[str, int], name: str | None = None) -> Model:
        """A copy with the given spaces resized; every coupled layer follows."""
        for space_name, width in widths.items():
            if space_name not in self.widths:
                raise WorkloadError(f"model {self.name!r} has no channel space {space_name!r}")
            positive(width, f"model {self.name!r}: width of {space_name!r}",
                     error=WorkloadError, strict=True)
        new_widths = {**self.widths, **widths}
        spaces = tuple(replace(s, width=new_widths[s.name]) for s in self.spaces)
        layers = tuple(self._resized(layer, new_widths) for layer in self.layers)
        return Model(name or self.name, layers, self.nodes, spaces, self.input_shape)

    def scaled(self, width_mult: float, name: str | None = None) -> Model:
        """Scale every prunable space by ``width_mult`` (rounded, at least 1 channel)."""
        as_float(width_mult, "width multiplier", low=0.0, low_open=True, error=WorkloadError)
        widths = {s.name: max(1, round(s.width * width_mult)) for s in self.spaces if s.prunable}
        return self.with_widths(widths, name)

    def _resized(self, layer: Layer, widths: Mapping[str, int]) -> Layer:
        node = self.node(layer.name)
        if node is None or isinstance(layer, MatMulLayer):
            return layer
        cin = sum(widths[s] for s in node.inputs)
        cout = widths[node.output]
        if isinstance(layer, ElementwiseLayer):
            return replace(layer, elements=cout * node.spatial)
        if isinstance(layer, LinearLayer):
            return replace(layer, cin=cin, cout=cout)
        groups = cout if node.depthwise_coupled else layer.groups
        return replace(layer, cin=cin, cout=cout, groups=groups)

    def channel_table(self) -> dict[str, dict[str, int]]:
        """``{layer: {"cin", "cout"}}`` for every conv and linear layer."""
        return {layer.name: {"cin": layer.cin, "cout": layer.cout}
                for layer in self.gemm_layers if not isinstance(layer, MatMulLayer)}
