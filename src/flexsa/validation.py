"""One validation layer for the numbers a user gives: CLI options, arch YAML, energy
overrides, sweep specs.

Every check raises a one-line :class:`~flexsa.errors.FlexsaError` naming the field, the
rule and the fix. Numbers must be finite and in range, integers must be integers (``True``
is not ``1``). Sizes and amounts of work have *named limits* (:data:`LIMITS`), checked before
anything is allocated or looped over; each can be raised with an environment variable,
``FLEXSA_MAX_<NAME>`` (e.g. ``FLEXSA_MAX_GEMM_MACS=1e19``), and the message says so.

This module sits at the bottom of the layer stack: it imports only :mod:`flexsa.errors`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from numbers import Integral, Real

from flexsa.errors import ConfigError, FlexsaError, WorkloadError

SEED_BITS = 32


@dataclass(frozen=True)
class Limit:
    """A named upper bound on a size or on an amount of work."""

    name: str
    default: int
    what: str

    @property
    def env(self) -> str:
        return f"FLEXSA_MAX_{self.name.upper()}"

    @property
    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        except ValueError:
            number = -1
        if not (math.isfinite(number) and number >= 1 and number == int(number)):
            raise ConfigError(f"environment {self.env}={raw!r} must be a whole number >= 1")
        return int(number)

    def check(self, value: int, field: str, hint: str = "",
              error: type[FlexsaError] = FlexsaError) -> int:
        """``value`` if it is within the limit; else one line naming field, limit and fix."""
        limit = self.value
        if value > limit:
            fix = f"{hint}, or raise" if hint else "raise"
            raise error(f"{field}={value:,} exceeds the limit of {limit:,} on {self.what}; "
                              f"{fix} it with {self.env}={limit * 10}")
        return value


_LIMITS = (
    Limit("gemm_dim", 10**11, "a GEMM dimension (M, N or K)"),
    Limit("gemm_macs", 10**18, "the MACs of one GEMM (M*N*K*instances)"),
    Limit("instances", 100_000_000, "identical GEMM instances (groups)"),
    Limit("batch", 1_048_576, "the mini-batch size"),
    Limit("resolution", 16_384, "the input resolution"),
    Limit("seq_len", 65_536, "the sequence length"),
    Limit("groups", 4_096, "accelerator groups"),
    Limit("cores", 4_096, "cores per group"),
    Limit("total_cores", 16_384, "cores of the accelerator (groups x cores per group)"),
    Limit("array_dim", 65_536, "rows or columns of one array"),
    Limit("buffer_elems", 2**40, "elements of one buffer"),
    Limit("epochs", 10_000, "training epochs"),
    Limit("intervals", 1_000, "pruning reconfiguration intervals"),
    Limit("pack_elems", 2**22, "elements of a weight matrix to pack"),
    Limit("alpha", 4_096, "columns per packing group (alpha)"),
    Limit("sweep_points", 100_000, "points of one sweep"),
    Limit("sparse_dim", 1_000_000, "a sparse matrix dimension"),
    Limit("sparse_nnz", 2_000_000, "the nonzeros of a sparse matrix"),
    Limit("workers", 256, "worker processes or threads"),
    Limit("cycles", 10**12, "cycles of a latency or cost knob"),
    Limit("dram_blocks", 4_000_000, "GBUF blocks of one GEMM timed by the DRAM model"),
    Limit("input_bytes", 2**31, "bytes of one input file (checked before it is read)"),
)
LIMITS: dict[str, Limit] = {limit.name: limit for limit in _LIMITS}


def limit(name: str) -> Limit:
    return LIMITS[name]


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def as_int(value: object, field: str, *, low: int | None = None, high: int | None = None,
           limit: str | None = None, error: type[FlexsaError] = FlexsaError,
           hint: str = "", strict: bool = False) -> int:
    """An integer in ``[low, high]`` (and within the named ``limit``).

    A float with an integral value (``4.0``, as YAML may give) is accepted unless ``strict``
    (typed records and counts, where a float means a bug upstream); ``4.5``, NaN, infinities,
    booleans and strings never are. numpy integers are integers (also when ``strict``).
    """
    if type(value) is not int:  # the common case skips the slower checks
        if not strict and isinstance(value, float) and math.isfinite(value) \
                and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise error(f"{field} must be an integer{_range_text(low, high)}, got {value!r}")
    number = int(value)  # type: ignore[call-overload]
    if (low is not None and number < low) or (high is not None and number > high):
        raise error(f"{field} must be an integer{_range_text(low, high)}, got {number}")
    if limit is not None:
        LIMITS[limit].check(number, field, hint, error)
    return number


def int_text(text: object, field: str, *, low: int | None = None, high: int | None = None,
             limit: str | None = None, error: type[FlexsaError] = FlexsaError) -> int:
    """An integer written as decimal text (a CSV cell, a part of ``"M,N,K"``), then
    :func:`as_int`. Only ASCII digits count (``int("٣")`` is 3 in Python, not here)."""
    raw = str(text).strip()
    try:
        if not raw.isascii():
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        raise error(f"{field} must be an integer{_range_text(low, high)}, got {raw!r}") from None
    return as_int(value, field, low=low, high=high, limit=limit, error=error)


def as_float(value: object, field: str, *, low: float | None = None,
             high: float | None = None, low_open: bool = False, high_open: bool = False,
             error: type[FlexsaError] = FlexsaError) -> float:
    """A finite real number in the interval (``low_open``/``high_open`` exclude the ends)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{field} must be a finite number{_interval(low, high, low_open, high_open)}"
                    f", got {value!r}")
    number = float(value)
    bad = not math.isfinite(number)
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise error(f"{field} must be a finite number{_interval(low, high, low_open, high_open)}"
                    f", got {number:g}")
    return number


def positive(value: object, field: str, *, limit: str | None = None,
             error: type[FlexsaError] = FlexsaError, hint: str = "",
             strict: bool = False) -> int:
    """An integer >= 1 (within ``limit``): the "positive integer" check used everywhere."""
    if type(value) is int and value >= 1 and limit is None:  # fast path: record fields
        return value
    return as_int(value, field, low=1, limit=limit, error=error, hint=hint, strict=strict)


def non_negative(value: object, field: str, *, limit: str | None = None,
                 error: type[FlexsaError] = FlexsaError, strict: bool = False) -> int:
    """An integer >= 0 (within ``limit``): counts, epochs, "0 means none" knobs."""
    if type(value) is int and value >= 0 and limit is None:  # fast path: record fields
        return value
    return as_int(value, field, low=0, limit=limit, error=error, strict=strict)


def seed(value: object, field: str = "--seed") -> int:
    """A seed: any non-negative integer, the same rule in every command.

    Seeds below 2**32 are used as given; larger ones are reduced to 32 bits by numpy's
    SeedSequence, because several consumers (scikit-learn, legacy numpy) take 32-bit seeds.
    """
    number = as_int(value, field, low=0)
    if number < 2**SEED_BITS:
        return number
    import numpy as np

    return int(np.random.SeedSequence(number).generate_state(1, np.uint32)[0])


def gemm_size(m: int, n: int, k: int, instances: int = 1, where: str = "GEMM",
              error: type[FlexsaError] = WorkloadError) -> None:
    """Dimensions and total MACs of one GEMM within the limits (before any work)."""
    for name, value in (("M", m), ("N", n), ("K", k)):
        LIMITS["gemm_dim"].check(value, f"{where}: {name}", error=error)
    LIMITS["instances"].check(instances, f"{where}: instances", error=error)
    macs = int(m) * int(n) * int(k) * int(instances)  # Python ints: numpy ones would wrap
    LIMITS["gemm_macs"].check(macs, f"{where}: MACs", error=error)


def dram_blocks(blocks: int, gemm: str) -> None:
    """The DRAM model's work (measured ~4 us and ~250 B per block) within its limit."""
    LIMITS["dram_blocks"].check(blocks, f"{gemm}: GBUF blocks", "use --memory ideal or a "
                                "larger memory.gbuf_mib", ConfigError)


def _range_text(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{_num(low)}, {_num(high)}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {_num(low)}"
    if high is not None:
        return f" {'<' if high_open else '<='} {_num(high)}"
    return ""


def finite_or_none(value: object) -> object:
    """Replace NaN and infinities by ``None``, recursively (strict JSON; see docs)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value
