"""FlexSA operating modes and the sub-array geometry each one uses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flexsa.arch.config import ArchConfig


class Mode(StrEnum):
    """Operating mode of a unit. ``CORE`` is a plain (non-FlexSA) core."""

    FW = "FW"
    HSW = "HSW"
    VSW = "VSW"
    ISW = "ISW"
    CORE = "core"


MODE_KEYS: tuple[str, ...] = ("FW", "HSW", "VSW", "ISW", "core")
REUSE_RANK: dict[Mode, int] = {Mode.FW: 0, Mode.CORE: 0, Mode.HSW: 1, Mode.VSW: 1, Mode.ISW: 2}


@dataclass(frozen=True)
class Geometry:
    """Sub-arrays of one mode: ``count`` arrays of ``rows x cols`` at PE offsets ``origins``."""

    mode: Mode
    rows: int
    cols: int
    origins: tuple[tuple[int, int], ...]

    @property
    def count(self) -> int:
        return len(self.origins)

    @property
    def top_arrays(self) -> int:
        """Sub-arrays whose outputs travel down to the bottom output buffers."""
        return sum(1 for row, _ in self.origins if row == 0) if self.rows < self.unit_rows else 0

    @property
    def unit_rows(self) -> int:
        return max(row for row, _ in self.origins) + self.rows


def geometry(arch: ArchConfig, mode: Mode) -> Geometry:
    r, c = arch.core_rows, arch.core_cols
    if mode is Mode.CORE:
        if arch.flexsa:
            raise ValueError("mode 'core' is for plain cores")
        return Geometry(mode, r, c, ((0, 0),))
    if not arch.flexsa:
        raise ValueError(f"mode {mode.value} needs a FlexSA config")
    table = {
        Mode.FW: (2 * r, 2 * c, ((0, 0),)),
        Mode.HSW: (r, 2 * c, ((0, 0), (r, 0))),
        Mode.VSW: (2 * r, c, ((0, 0), (0, c))),
        Mode.ISW: (r, c, ((0, 0), (0, c), (r, 0), (r, c))),
    }
    rows, cols, origins = table[mode]
    return Geometry(mode, rows, cols, origins)


def valid_modes(arch: ArchConfig, n: int, k: int) -> tuple[Mode, ...]:
    """Modes that can run a ``k x n`` stationary tile, most reuse first."""
    if not arch.flexsa:
        return (Mode.CORE,)
    modes = [Mode.FW]
    if k <= arch.core_rows:
        modes.append(Mode.HSW)
    if n <= arch.core_cols:
        modes.append(Mode.VSW)
    if k <= arch.core_rows and n <= arch.core_cols:
        modes.append(Mode.ISW)
    return tuple(modes)


def table_mode(arch: ArchConfig, n: int, k: int) -> Mode:
    """The spec's table (section 3): FW, HSW for k <= r, VSW for n <= c, ISW for both."""
    return valid_modes(arch, n, k)[-1]


def split_rows(m: int, count: int) -> tuple[int, ...]:
    """Streamed rows of each sub-array: as even as possible, larger shares first."""
    base, extra = divmod(m, count)
    return tuple(base + (1 if i < extra else 0) for i in range(count))
