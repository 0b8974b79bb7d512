"""Bit-serial MX-cell array: functional check against numpy, cycle and energy model."""

from __future__ import annotations

import numpy as np
import pytest

from flexsa.errors import MappingError
from flexsa.packing import PackingConfig, pack
from flexsa.packing.systolic import (
    ArrayLayer,
    BitSerialArray,
    bit_serial_dot,
    default_shifts,
    layer_cost,
    network_cost,
    run_layer,
    shift_block,
    wrap,
)


def _int_layer(rows: int, cols: int, density: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weights = rng.integers(-128, 128, size=(rows, cols))
    return weights * (rng.random((rows, cols)) < density)


def test_bit_serial_dot_matches_multiply() -> None:
    w = np.arange(-128, 128).reshape(-1, 1)
    x = np.arange(-128, 128).reshape(1, -1)
    np.testing.assert_array_equal(bit_serial_dot(w, x, 8), w * x)


@pytest.mark.parametrize(("rows", "cols", "array_shape"), [(10, 40, (4, 3)), (37, 90, (8, 8)),
                                                          (5, 7, (32, 32))])
def test_run_layer_equals_numpy(rows: int, cols: int, array_shape) -> None:
    weights = _int_layer(rows, cols, 0.2, rows)
    packing = pack(weights, PackingConfig(alpha=8, gamma=0.5))
    array = BitSerialArray(rows=array_shape[0], cols=array_shape[1], alpha=8)
    inputs = np.random.default_rng(1).integers(-128, 128, size=(cols, 6))
    masked = np.where(packing.mask, weights, 0)
    np.testing.assert_array_equal(run_layer(packing, inputs, array), masked @ inputs)


def test_accumulator_wraps_at_32_bits() -> None:
    assert wrap(np.array([2**31]), 32)[0] == -(2**31)
    assert wrap(np.array([-(2**31) - 1]), 32)[0] == 2**31 - 1


def test_shift_block_and_shift_layer() -> None:
    maps = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    shifted = shift_block(maps, np.array([[1, 0], [0, -1]]))
    np.testing.assert_array_equal(shifted[0], [[0, 0, 0], [0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(shifted[1], [[10, 11, 0], [13, 14, 0], [16, 17, 0]])
    weights = _int_layer(6, 18, 0.3, 4)
    packing = pack(weights, PackingConfig(alpha=4, gamma=0.3))
    fmap = np.random.default_rng(2).integers(-128, 128, size=(18, 5, 5))
    shifts = default_shifts(18)
    expected = np.where(packing.mask, weights, 0) @ shift_block(fmap, shifts).reshape(18, -1)
    got = run_layer(packing, fmap, BitSerialArray(rows=4, cols=4, alpha=4), shifts=shifts)
    np.testing.assert_array_equal(got, expected)


def test_group_wider_than_mux_rejected() -> None:
    packing = pack(_int_layer(8, 32, 0.1, 0), PackingConfig(alpha=8, gamma=1.0))
    with pytest.raises(MappingError):
        layer_cost(ArrayLayer.from_packing("l", packing, 4), BitSerialArray(alpha=2))


def test_cycle_model_golden() -> None:
    # 40 filters x 3 packed columns on an 32x32 array: row tiles 32 and 8, one column tile.
    layer = ArrayLayer("l", rows=40, group_sizes=(2, 1, 3), positions=10)
    cost = layer_cost(layer, BitSerialArray(rows=32, cols=32))
    # per tile: load rows + 9 * 8 + rows - 1 + cols + 32
    assert cost.tiles == 2
    assert cost.cycles == (32 + 72 + 31 + 3 + 32) + (8 + 72 + 7 + 3 + 32)
    slow = layer_cost(layer, BitSerialArray(rows=32, cols=32, acc_streams=2))
    assert slow.cycles == cost.cycles + 2 * 9 * (16 - 8)


def test_packing_cuts_tiles_cycles_and_energy() -> None:
    weights = _int_layer(64, 512, 0.1, 9)
    dense = pack(weights, PackingConfig(alpha=1))
    packed = pack(weights, PackingConfig(alpha=8, gamma=0.5))
    base = network_cost([ArrayLayer.from_packing("l", dense, 16)], BitSerialArray(alpha=1))
    comb = network_cost([ArrayLayer.from_packing("l", packed, 16)], BitSerialArray(alpha=8))
    assert comb.tiles < base.tiles / 4
    assert comb.throughput > 3 * base.throughput
    assert comb.energy_per_sample_j < base.energy_per_sample_j / 2


@pytest.mark.parametrize(("rows", "cols", "shape", "positions", "streams"),
                         [(10, 40, (4, 3), 5, 4), (7, 30, (8, 8), 1, 4), (9, 25, (3, 5), 4, 2)])
def test_stepped_simulation_matches_closed_form_and_numpy(rows, cols, shape, positions,
                                                          streams) -> None:
    from flexsa.packing.systolic import run_layer_stepped

    weights = _int_layer(rows, cols, 0.25, cols)
    packing = pack(weights, PackingConfig(alpha=8, gamma=0.5))
    array = BitSerialArray(rows=shape[0], cols=shape[1], acc_streams=streams)
    inputs = np.random.default_rng(5).integers(-128, 128, size=(cols, positions))
    out, cycles = run_layer_stepped(packing, inputs, array)
    np.testing.assert_array_equal(out, np.where(packing.mask, weights, 0) @ inputs)
    assert cycles == layer_cost(ArrayLayer.from_packing("l", packing, positions), array).cycles


def test_stepped_simulation_detects_too_few_accumulation_streams() -> None:
    from flexsa.packing.systolic import simulate_tile

    class Overdriven(BitSerialArray):
        @property
        def interval(self) -> int:  # feed words faster than 2 streams can accumulate
            return self.data_bits

    weights = np.ones((2, 2), dtype=np.int64)
    selected = np.array([[0, 1], [0, 1]])
    streams = np.arange(2 * 6).reshape(2, 6)
    psum = np.zeros((2, 6), dtype=np.int64)
    out, cycles = simulate_tile(weights, selected, streams, psum, BitSerialArray(rows=2, cols=2))
    np.testing.assert_array_equal(out[0], streams.sum(axis=0))
    assert cycles == 2 + 5 * 8 + 1 + 2 + 32
    with pytest.raises(AssertionError, match="streams"):
        simulate_tile(weights, selected, streams, psum, Overdriven(rows=2, cols=2, acc_streams=2))
