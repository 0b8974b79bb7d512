"""Bytes a FlexSA wave moves over each inter-core path of its unit (spec section 3).

A FlexSA unit is 2x2 cores of ``r x c`` PEs (cores 0 and 1 on top). Every transfer between
cores uses one of six paths, of two wire classes (``PATH_WIRE``):

* **neighbour** (one PE pitch: the four PE arrays abut, and the timing model and the
  PE-level reference treat the crossing as an ordinary one-cycle hop of one array):

  - ``streamed_pass``: streamed rows passed from a left core into the right one
    (sub-arrays ``2c`` wide: FW, HSW): every row of the wave, ``m x k``;
  - ``psum_pass``: partial sums passed down from a top core into the one below
    (sub-arrays ``2r`` tall: FW, VSW): ``m x n`` FP32 values;
  - ``stationary_shift``: stationary rows shifted from a top core into the one below
    (sub-arrays ``2r`` tall): ``max(k - r, 0) x n`` per sub-array.

* **unit** (one core side, the length the area model gives these wires):

  - ``stationary_broadcast``: the stationary tile, fetched once from the GBUF, copied to
    the LBUFs of the other sub-arrays (HSW, VSW: one copy; ISW: three): ``(count-1) k n``;
  - ``streamed_side``: streamed rows of the sub-arrays whose left edge is core 1 or 3 (VSW,
    ISW), carried from the unit's left LBUFs over the separate inputs of cores 1 and 3;
  - ``output_down``: outputs of the top sub-arrays (``r`` tall: HSW, ISW) carried down past
    cores 2 and 3 to the bottom output buffers: FP32, ``top rows x n``.

Plain cores (mode ``core``) move nothing over these paths.
"""

from __future__ import annotations

from flexsa.arch.config import ArchConfig
from flexsa.compiler.modes import Mode, geometry, split_rows

PATHS: tuple[str, ...] = ("streamed_pass", "psum_pass", "stationary_shift",
                          "stationary_broadcast", "streamed_side", "output_down")
NEIGHBOUR, UNIT = "neighbour", "unit"
PATH_WIRE: dict[str, str] = {
    "streamed_pass": NEIGHBOUR, "psum_pass": NEIGHBOUR, "stationary_shift": NEIGHBOUR,
    "stationary_broadcast": UNIT, "streamed_side": UNIT, "output_down": UNIT,
}
NO_PATHS: tuple[int, ...] = (0,) * len(PATHS)


def wave_path_bytes(arch: ArchConfig, mode: Mode, m: int, n: int, k: int) -> tuple[int, ...]:
    """Bytes one ``m x n x k`` wave in ``mode`` moves over each path, in ``PATHS`` order."""
    if mode is Mode.CORE:
        return NO_PATHS
    geo = geometry(arch, mode)
    ib, ob, r, c = arch.input_bytes, arch.output_bytes, arch.core_rows, arch.core_cols
    rows = split_rows(m, geo.count)
    tall, wide = geo.rows == 2 * r, geo.cols == 2 * c
    streamed_pass = m * k * ib if wide else 0
    psum_pass = m * n * ob if tall else 0
    shift = geo.count * max(k - r, 0) * n * ib if tall else 0
    broadcast = (geo.count - 1) * k * n * ib
    side = sum(rows[i] for i, (_, col) in enumerate(geo.origins) if col == c) * k * ib
    down = 0
    if geo.top_arrays:
        down = sum(rows[i] for i, (row, _) in enumerate(geo.origins) if row == 0) * n * ob
    return (streamed_pass, psum_pass, shift, broadcast, side, down)


def wave_overcore_bytes(arch: ArchConfig, mode: Mode, m: int, n: int, k: int) -> int:
    """Total bytes one wave moves over FlexSA inter-core paths (0 for plain cores)."""
    return sum(wave_path_bytes(arch, mode, m, n, k))


def paths_dict(values: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(PATHS, values, strict=True))
