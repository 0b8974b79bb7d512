"""The bit-serial systolic array of MX cells that runs column-combined layers.

Orientation (spec section 2 and 5): one array row per filter, one array column per packed
(combined) column. Each column carries the input streams of its group's input channels
(up to ``alpha``); every MX cell holds one 8-bit weight and an ``alpha``-to-1 multiplexer
whose control value picks the stream it multiplies. Data arrive bit-serially (LSB first,
two's complement), partial sums move along the rows and are 32 bits wide, so a cell needs
``acc_bits / data_bits`` interleaved accumulation streams to accept a new input word every
``data_bits`` cycles. Layers larger than the array are tiled; partial sums of earlier
column tiles re-enter at the row inputs.

Timing rules (one tile, cycles counted from 0 after the weights are loaded, one row of
weights per cycle): the word ``p`` of array column ``c`` enters the top row at cycle
``p * interval + c`` (columns skewed by one cycle) and moves down one row per cycle; the
partial sum of row ``r`` and word ``p`` enters the left column at ``p * interval + r``
(rows skewed) and moves right one column per cycle, so word and partial sum meet at every
cell; the sum leaves the right edge at ``p * interval + r + cols`` and its ``acc_bits``
bits drain serially. Hence, per tile,

    cycles = rows_used                                          (weight load)
           + (positions - 1) * interval + rows_used - 1 + cols_used + acc_bits
    interval = max(data_bits, ceil(acc_bits / acc_streams))

:func:`layer_cost` evaluates this closed form for every tile; :func:`simulate_tile` steps
the same rules cycle by cycle (shifting data and partial-sum registers, checking that the
two always meet and that no cell needs more than ``acc_streams`` accumulations at once) and
is used by the tests to check the closed form. :func:`run_layer` evaluates a whole layer
functionally with the same tiling and bit-serial arithmetic (vectorised over cells and
positions, one step per data bit) so the model can be checked against numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexsa.errors import MappingError
from flexsa.packing.grouping import Packing, PackingError
from flexsa.validation import as_float, positive


@dataclass(frozen=True)
class BitSerialEnergy:
    """Energy per event in pJ (32 nm). Every entry is a knob; sources in ``SOURCES``."""

    mult8_pj: float = 0.132          # 8-bit int multiply
    add32_pj: float = 0.066          # 32-bit int add
    register_bit_pj: float = 0.0068  # one register bit written
    mux_way_bit_pj: float = 0.0005   # one multiplexer input per selected bit
    sram_bit_pj: float = 0.151       # on-chip buffer, per bit read or written

    SOURCES = {
        "mult8_pj": "Horowitz ISSCC 2014, 0.2 pJ at 45 nm x 0.66 (45->32 nm)",
        "add32_pj": "Horowitz ISSCC 2014, 0.1 pJ at 45 nm x 0.66 (45->32 nm)",
        "register_bit_pj": "Aladdin register scaled to 32 nm (about 0.0068 pJ/bit)",
        "mux_way_bit_pj": "estimate: a 2:1 mux leg is a few gates, well below a register bit",
        "sram_bit_pj": "CACTI 7.0, 32 KB, 64-bit port, 32 nm: 9.69 pJ per 64-bit read",
    }


@dataclass(frozen=True)
class BitSerialArray:
    """An R x C array of MX cells and its timing knobs."""

    rows: int = 32
    cols: int = 32
    alpha: int = 8
    data_bits: int = 8
    weight_bits: int = 8
    acc_bits: int = 32
    acc_streams: int = 4
    clock_hz: float = 1.0e9
    energy: BitSerialEnergy = field(default_factory=BitSerialEnergy)

    def __post_init__(self) -> None:
        for name in ("rows", "cols", "alpha", "data_bits", "weight_bits", "acc_bits",
                     "acc_streams"):
            value = getattr(self, name)
            positive(value, f"array {name}", error=PackingError, strict=True)
        as_float(self.clock_hz, "array clock_hz", low=0.0, low_open=True, error=PackingError)

    @property
    def interval(self) -> int:
        """Cycles between input words entering a column (bit-serial data, serial sums)."""
        return max(self.data_bits, math.ceil(self.acc_bits / self.acc_streams))

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in (
            "rows", "cols", "alpha", "data_bits", "weight_bits", "acc_bits", "acc_streams",
            "clock_hz")}
        out["energy_pj"] = {k: getattr(self.energy, k) for k in BitSerialEnergy.SOURCES}
        return out


@dataclass(frozen=True)
class ArrayLayer:
    """One layer as the array sees it: filter rows, packed columns (with their group sizes)
    and output positions per sample; ``shift`` marks a shift layer done in the shift block."""

    name: str
    rows: int
    group_sizes: tuple[int, ...]
    positions: int
    shift: bool = False

    @property
    def packed_cols(self) -> int:
        return len(self.group_sizes)

    @classmethod
    def from_packing(cls, name: str, packing: Packing, positions: int,
                     shift: bool = False) -> ArrayLayer:
        return cls(name, packing.rows, tuple(len(g) for g in packing.groups), positions, shift)


@dataclass(frozen=True)
class LayerCost:
    name: str
    tiles: int
    cycles: int
    cell_cycles: int
    energy_pj: dict[str, float]

    @property
    def total_energy_pj(self) -> float:
        return float(sum(self.energy_pj.values()))


def _tile_extents(total: int, size: int) -> np.ndarray:
    full, rest = divmod(total, size)
    return np.array([size] * full + ([rest] if rest else []), dtype=np.int64)


def tile_cycles(rows_used: Any, cols_used: Any, positions: int, array: BitSerialArray) -> Any:
    """Closed-form cycles of one tile (see the module doc); works on numpy arrays."""
    return (rows_used + (positions - 1) * array.interval + rows_used - 1 + cols_used
            + array.acc_bits)


def layer_cost(layer: ArrayLayer, array: BitSerialArray) -> LayerCost:
    """Tiles, cycles and energy of one layer per sample."""
    if layer.group_sizes and max(layer.group_sizes) > array.alpha:
        raise MappingError(f"layer {layer.name!r}: a group of {max(layer.group_sizes)} columns "
                           f"exceeds the array's {array.alpha}-to-1 multiplexers; raise alpha")
    row_tiles = _tile_extents(layer.rows, array.rows)
    col_tiles = _tile_extents(layer.packed_cols, array.cols)
    sizes = np.asarray(layer.group_sizes, dtype=np.int64)
    streams_per_col_tile = np.add.reduceat(sizes, np.arange(0, sizes.size, array.cols)) \
        if sizes.size else np.zeros(0, dtype=np.int64)
    positions = layer.positions
    rows_used, cols_used = np.meshgrid(row_tiles, col_tiles, indexing="ij")
    cycles_per_tile = tile_cycles(rows_used, cols_used, positions, array)
    cells = int((rows_used * cols_used).sum())
    first_col_tile = np.zeros_like(rows_used, dtype=bool)
    if first_col_tile.size:
        first_col_tile[:, 0] = True
    e = array.energy
    mac = cells * positions * (e.mult8_pj + e.add32_pj)
    pipeline = cells * positions * (array.data_bits + array.acc_bits) * e.register_bit_pj
    mux = cells * positions * array.data_bits * e.mux_way_bit_pj * array.alpha \
        if array.alpha > 1 else 0.0
    input_bits = row_tiles.size * int(streams_per_col_tile.sum()) * positions * array.data_bits
    psum_tiles = int((rows_used * ~first_col_tile).sum())  # rows re-entering as psums
    psum_bits = 2 * psum_tiles * positions * array.acc_bits
    output_bits = layer.rows * positions * array.data_bits
    control_bits = max(1, math.ceil(math.log2(array.alpha))) if array.alpha > 1 else 0
    weight_bits = cells * (array.weight_bits + control_bits)
    shift = (int(sizes.sum()) * positions * array.data_bits * e.register_bit_pj
             if layer.shift else 0.0)
    energy = {
        "mac": mac, "pipeline_registers": pipeline, "mux": mux,
        "buffer": (input_bits + psum_bits + output_bits + weight_bits) * e.sram_bit_pj,
        "shift_block": shift,
    }
    return LayerCost(layer.name, int(rows_used.size), int(cycles_per_tile.sum()),
                     cells * positions * array.interval, energy)


@dataclass(frozen=True)
class NetworkCost:
    layers: tuple[LayerCost, ...]
    clock_hz: float

    @property
    def tiles(self) -> int:
        return sum(layer.tiles for layer in self.layers)

    @property
    def cycles(self) -> int:
        return sum(layer.cycles for layer in self.layers)

    @property
    def latency_s(self) -> float:
        return self.cycles / self.clock_hz

    @property
    def throughput(self) -> float:
        """Samples per second (layers run one after another on the one array)."""
        return self.clock_hz / self.cycles if self.cycles else 0.0

    @property
    def energy_per_sample_j(self) -> float:
        return sum(layer.total_energy_pj for layer in self.layers) * 1e-12

    def as_dict(self) -> dict[str, Any]:
        return {"tiles": self.tiles, "cycles": self.cycles, "latency_s": self.latency_s,
                "throughput": self.throughput,
                "energy_per_sample_j": self.energy_per_sample_j,
                "layers": [{"name": c.name, "tiles": c.tiles, "cycles": c.cycles,
                            "energy_pj": c.energy_pj} for c in self.layers]}


def network_cost(layers: list[ArrayLayer], array: BitSerialArray) -> NetworkCost:
    return NetworkCost(tuple(layer_cost(layer, array) for layer in layers), array.clock_hz)


# ---------------------------------------------------------------- functional model

def bit_serial_dot(weights: np.ndarray, data: np.ndarray, data_bits: int) -> np.ndarray:
    """``weights * data`` computed the bit-serial way: one partial product per data bit
    (two's complement: the top bit weighs ``-2**(data_bits-1)``)."""
    raw = data.astype(np.int64) & ((1 << data_bits) - 1)
    total = np.zeros(np.broadcast_shapes(weights.shape, data.shape), dtype=np.int64)
    w = weights.astype(np.int64)
    for bit in range(data_bits):
        place = -(1 << bit) if bit == data_bits - 1 else (1 << bit)
        total += w * ((raw >> bit) & 1) * place
    return total


def wrap(values: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement wrap-around of a ``bits``-wide accumulator."""
    half = 1 << (bits - 1)
    return ((values + half) & ((1 << bits) - 1)) - half


def run_layer(packing: Packing, inputs: np.ndarray, array: BitSerialArray,
              shifts: np.ndarray | None = None) -> np.ndarray:
    """Run a packed layer with integer weights on the array model, tile by tile.

    ``inputs``: ``[cols, positions]`` integers (one row per input-matrix column, already
    im2col-ed for k x k convs). With ``shifts`` (``[cols, 2]``, dy and dx in {-1, 0, 1}) the
    inputs are ``[cols, H, W]`` feature maps that the shift block shifts first. Returns the
    32-bit accumulations ``[rows, positions]``."""
    if shifts is not None:
        inputs = shift_block(inputs, shifts).reshape(inputs.shape[0], -1)
    weights = packing.packed
    if not np.array_equal(weights, np.round(weights)):
        raise PackingError("run_layer needs integer (quantised) weights")
    if packing.groups and max(len(g) for g in packing.groups) > array.alpha:
        raise MappingError("a group exceeds the array's multiplexer width; raise alpha")
    selected = packing.selected_columns               # mux control -> input stream
    positions = inputs.shape[1]
    out = np.zeros((packing.rows, positions), dtype=np.int64)
    for r0 in range(0, packing.rows, array.rows):
        rows = slice(r0, r0 + array.rows)
        psum = np.zeros((min(array.rows, packing.rows - r0), positions), dtype=np.int64)
        for c0 in range(0, packing.packed_cols, array.cols):
            cols = slice(c0, c0 + array.cols)
            streams = inputs[selected[rows, cols]]      # [tile rows, tile cols, positions]
            products = bit_serial_dot(weights[rows, cols, None], streams, array.data_bits)
            psum = wrap(psum + products.sum(axis=1), array.acc_bits)  # fed back at row input
        out[rows] = psum
    return out


def simulate_tile(weights: np.ndarray, selected: np.ndarray, streams: np.ndarray,
                  psum_in: np.ndarray, array: BitSerialArray) -> tuple[np.ndarray, int]:
    """Step one tile cycle by cycle (a checking model; Python loop over cycles).

    ``weights``/``selected``: ``[rows, cols]`` integer weights and the input stream each
    cell's multiplexer selects; ``streams``: ``[n, positions]`` input words; ``psum_in``:
    ``[rows, positions]`` partial sums entering at the row inputs. Returns the partial sums
    leaving the right edge and the tile's cycle count including the weight load."""
    rows, cols = weights.shape
    positions = streams.shape[1]
    interval = array.interval
    data_tag = np.full((rows, cols), -1)
    psum_tag = np.full((rows, cols), -1)
    psum_val = np.zeros((rows, cols), dtype=np.int64)
    starts: list[list[int]] = [[] for _ in range(rows * cols)]
    out = np.zeros((rows, positions), dtype=np.int64)
    col_ids, row_ids = np.arange(cols), np.arange(rows)
    last_exit, exited, cycle = -1, 0, 0
    while exited < rows * positions:
        # registers move: data down one row, partial sums right one column
        leaving = psum_tag[:, -1] >= 0
        out[row_ids[leaving], psum_tag[leaving, -1]] = psum_val[leaving, -1]
        exited += int(leaving.sum())
        last_exit = cycle if leaving.any() else last_exit
        data_tag[1:], psum_tag[:, 1:], psum_val[:, 1:] = \
            data_tag[:-1].copy(), psum_tag[:, :-1].copy(), psum_val[:, :-1].copy()
        offset = cycle - col_ids
        data_tag[0] = np.where((offset >= 0) & (offset % interval == 0)
                               & (offset // interval < positions), offset // interval, -1)
        offset = cycle - row_ids
        entering = (offset >= 0) & (offset % interval == 0) & (offset // interval < positions)
        psum_tag[:, 0] = np.where(entering, offset // interval, -1)
        psum_val[entering, 0] = psum_in[row_ids[entering], offset[entering] // interval]
        if not np.array_equal(data_tag >= 0, psum_tag >= 0) or \
                not np.array_equal(data_tag[data_tag >= 0], psum_tag[psum_tag >= 0]):
            raise AssertionError(f"cycle {cycle}: data and partial sums out of step")
        r, c = np.nonzero(psum_tag >= 0)
        words = psum_tag[r, c]
        psum_val[r, c] = wrap(psum_val[r, c] + bit_serial_dot(
            weights[r, c], streams[selected[r, c], words], array.data_bits), array.acc_bits)
        for cell in (r * cols + c).tolist():
            starts[cell].append(cycle)
        cycle += 1
    busy = max((sum(1 for s in cell if s > cell[-1] - array.acc_bits) for cell in starts
                if cell), default=0)
    if busy > array.acc_streams:
        raise AssertionError(f"{busy} accumulations overlap; only {array.acc_streams} streams")
    return out, rows + last_exit + array.acc_bits


def run_layer_stepped(packing: Packing, inputs: np.ndarray, array: BitSerialArray,
                      ) -> tuple[np.ndarray, int]:
    """:func:`run_layer` through :func:`simulate_tile`: outputs and total cycles."""
    selected = packing.selected_columns
    positions = inputs.shape[1]
    out = np.zeros((packing.rows, positions), dtype=np.int64)
    cycles = 0
    for r0 in range(0, packing.rows, array.rows):
        rows = slice(r0, r0 + array.rows)
        psum = np.zeros((min(array.rows, packing.rows - r0), positions), dtype=np.int64)
        for c0 in range(0, packing.packed_cols, array.cols):
            cols = slice(c0, c0 + array.cols)
            psum, tile = simulate_tile(packing.packed[rows, cols].astype(np.int64),
                                       selected[rows, cols], inputs, psum, array)
            cycles += tile
        out[rows] = psum
    return out, cycles


def shift_block(maps: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift each channel's ``[H, W]`` map by its ``(dy, dx)``, filling with zeros."""
    maps = np.asarray(maps)
    out = np.zeros_like(maps)
    height, width = maps.shape[1:]
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            chans = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if chans.size == 0:
                continue
            src_y = slice(max(0, -dy), height - max(0, dy))
            dst_y = slice(max(0, dy), height - max(0, -dy))
            src_x = slice(max(0, -dx), width - max(0, dx))
            dst_x = slice(max(0, dx), width - max(0, -dx))
            out[chans, dst_y, dst_x] = maps[chans, src_y, src_x]
    return out


def default_shifts(channels: int) -> np.ndarray:
    """The shift network's pattern: channels split evenly over the 9 (dy, dx) offsets."""
    offsets = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)])
    return offsets[np.arange(channels) * 9 // channels]
