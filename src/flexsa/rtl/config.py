"""Parameters of the RTL FlexSA unit and of the plain-core baseline (validated once)."""

from __future__ import annotations

from dataclasses import dataclass

from flexsa.compiler.modes import Mode
from flexsa.errors import ConfigError
from flexsa.validation import as_int

#: Largest sub-core side the RTL accepts (generation and synthesis).
MAX_CORE = 64
#: Largest sub-core side the co-simulation accepts: Amaranth's Python simulator evaluates
#: every PE every cycle, so an 8x8 sub-core (a 16x16 unit, 256 PEs) is already slow.
MAX_SIM_CORE = 8
#: Largest operand width (bits) of a PE input, and of its accumulator.
MAX_IN_BITS = 32
MAX_ACC_BITS = 64

#: 2-bit mode encoding of the unit's mode register: bit 0 set = short (r-tall) sub-arrays,
#: bit 1 set = narrow (c-wide) sub-arrays.
MODE_CODES: dict[Mode, int] = {Mode.FW: 0, Mode.HSW: 1, Mode.VSW: 2, Mode.ISW: 3, Mode.CORE: 0}
CODE_MODES: dict[int, Mode] = {0: Mode.FW, 1: Mode.HSW, 2: Mode.VSW, 3: Mode.ISW}
#: Origins (core index) of the sub-arrays of every mode, in the compiler's order
#: (:func:`flexsa.compiler.modes.geometry`); cores are 0 1 / 2 3.
SUB_ARRAY_CORES: dict[Mode, tuple[int, ...]] = {
    Mode.FW: (0,), Mode.HSW: (0, 2), Mode.VSW: (0, 1), Mode.ISW: (0, 1, 2, 3), Mode.CORE: (0,)}


@dataclass(frozen=True)
class RtlConfig:
    """One RTL unit: ``rows x cols`` PEs per (sub-)core, integer datapath widths.

    ``flexsa``: a FlexSA unit of 2x2 sub-cores (2r x 2c PEs); otherwise one plain core.
    ``max_m``: most streamed rows of one wave (the left LBUF half, ``blk_M``);
    ``wave_bits``: width of the wave counters (program length); ``slot_bits``: LBUF address
    bits that select a wave's buffer (1 = double buffering; the co-simulation uses an
    ideal LBUF that holds every wave).
    """

    rows: int
    cols: int
    flexsa: bool = True
    in_bits: int = 8
    acc_bits: int = 32
    switch_cycles: int = 1
    max_m: int = 0
    wave_bits: int = 16
    slot_bits: int = 1

    def __post_init__(self) -> None:
        for name, value, low, high in (
                ("rows", self.rows, 1, MAX_CORE), ("cols", self.cols, 1, MAX_CORE),
                ("in_bits", self.in_bits, 2, MAX_IN_BITS),
                ("acc_bits", self.acc_bits, 2, MAX_ACC_BITS),
                ("switch_cycles", self.switch_cycles, 0, 1024),
                ("max_m", self.max_m, 0, 1 << 20), ("wave_bits", self.wave_bits, 1, 32),
                ("slot_bits", self.slot_bits, 1, 32)):
            as_int(value, name, low=low, high=high, error=ConfigError, strict=True)
        if self.acc_bits < 2 * self.in_bits:
            raise ConfigError(f"acc_bits ({self.acc_bits}) must be at least twice in_bits "
                              f"({self.in_bits}) to hold one product")

    @property
    def unit_rows(self) -> int:
        return 2 * self.rows if self.flexsa else self.rows

    @property
    def unit_cols(self) -> int:
        return 2 * self.cols if self.flexsa else self.cols

    @property
    def blk_m(self) -> int:
        """Streamed rows per wave: the spec's default LBUF, ``2 x unit cols`` (section 2)."""
        return self.max_m or 2 * self.unit_cols

    @property
    def cores(self) -> int:
        return 4 if self.flexsa else 1


def parse_core(text: str) -> tuple[int, int]:
    """``"RxC"`` (or ``"R"`` for square) -> (R, C); one-line error otherwise."""
    parts = str(text).lower().replace("*", "x").split("x")
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise ConfigError(f"--core must look like RxC (e.g. 4x4), got {text!r}")
    sizes = []
    for part in parts:
        try:
            value = int(part.strip())
        except ValueError:
            raise ConfigError(f"--core sizes must be positive integers (e.g. 4x4), got {text!r}"
                              ) from None
        if value < 1:
            raise ConfigError(f"--core sizes must be positive integers (e.g. 4x4), got {text!r}")
        if value > MAX_CORE:
            raise ConfigError(f"--core {text}: at most {MAX_CORE}x{MAX_CORE} PEs per sub-core")
        sizes.append(value)
    return sizes[0], sizes[1]
