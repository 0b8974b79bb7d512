"""Tile and wave classes: which tiles of a part are full and which are edge tiles.

A part's output tiles are full or edge along N and along M (:class:`TileClass`); a wave is
also full or edge along K (:class:`WaveKind`). Per-class tables (counts, costs) are lists
indexed by ``.index``; per-pair tables (consecutive items on one unit) by
:class:`ClassPair`'s ``.index``. Class values are :data:`flexsa.compiler.tiling.FULL` (0)
and :data:`flexsa.compiler.tiling.EDGE` (1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

TILE_CLASSES = 4  # TileClass.index ranges over 0..3
WAVE_CLASSES = 8  # WaveKind.index ranges over 0..7


@dataclass(frozen=True, slots=True)
class TileClass:
    """An output tile's class: full or edge along N, and along M."""

    n_edge: int
    m_edge: int

    @property
    def index(self) -> int:
        return 2 * self.n_edge + self.m_edge

    @classmethod
    def at(cls, index: int) -> TileClass:
        return cls(*divmod(index, 2))

    @staticmethod
    @cache
    def of(n_edge: int, m_edge: int) -> TileClass:
        """The shared record (hot loops: no construction)."""
        return TileClass(n_edge, m_edge)


@dataclass(frozen=True, slots=True)
class WaveKind:
    """A wave's class: its output tile's class and full or edge along K."""

    n_edge: int
    m_edge: int
    k_edge: int

    @property
    def index(self) -> int:
        return 4 * self.n_edge + 2 * self.m_edge + self.k_edge

    @property
    def tile(self) -> TileClass:
        return TileClass(self.n_edge, self.m_edge)

    @classmethod
    def of(cls, tile: TileClass, k_edge: int) -> WaveKind:
        return cls(tile.n_edge, tile.m_edge, k_edge)

    @staticmethod
    @cache
    def get(n_edge: int, m_edge: int, k_edge: int) -> WaveKind:
        """The shared record (hot loops: no construction)."""
        return WaveKind(n_edge, m_edge, k_edge)


@dataclass(frozen=True, slots=True)
class ClassPair:
    """Consecutive items on one unit: class ``first`` (an index) then class ``second``,
    out of ``classes`` classes (:data:`TILE_CLASSES` or :data:`WAVE_CLASSES`)."""

    first: int
    second: int
    classes: int

    @property
    def index(self) -> int:
        return self.classes * self.first + self.second

    @staticmethod
    @cache
    def at(index: int, classes: int) -> ClassPair:
        return ClassPair(*divmod(index, classes), classes)

    @staticmethod
    @cache
    def of(first: int, second: int, classes: int) -> ClassPair:
        """The shared record (hot loops: no construction)."""
        return ClassPair(first, second, classes)

    @staticmethod
    def same(item: int, classes: int) -> ClassPair:
        """An item followed by one of its own class."""
        return ClassPair.of(item, item, classes)
