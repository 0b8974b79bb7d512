"""Schema of the energy/area table and its overrides (pydantic; imported only to validate).

The shipped table is built without it (``table._shipped``) to keep CLI start-up light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from flexsa.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Bounds of the numbers of a table (flexsa.validation's rule: finite and in range).
NODE_MIN_NM, NODE_MAX_NM = 0.1, 1e4     # technology nodes
MAX_VALUE = 1e12                        # any energy, area, length or ratio entry
MAX_SRAM_BYTES = 2**50


class _EntryIn(_Strict):
    value: float = Field(ge=0, le=MAX_VALUE)
    unit: str
    source: str = Field(min_length=1)
    node_nm: float | None = Field(default=None, ge=NODE_MIN_NM, le=NODE_MAX_NM)


class _ScalingIn(_Strict):
    from_nm: float = Field(ge=NODE_MIN_NM, le=NODE_MAX_NM)
    to_nm: float = Field(ge=NODE_MIN_NM, le=NODE_MAX_NM)
    energy: float = Field(gt=0, le=MAX_VALUE)
    area: float = Field(gt=0, le=MAX_VALUE)
    source: str = Field(min_length=1)


class _SramIn(_Strict):
    name: str
    capacity_bytes: int = Field(gt=0, le=MAX_SRAM_BYTES)
    port_bits: int = Field(gt=0, le=2**20)
    read_pj: float = Field(gt=0, le=MAX_VALUE)
    write_pj: float = Field(gt=0, le=MAX_VALUE)
    area_mm2: float = Field(gt=0, le=MAX_VALUE)
    cells: str
    source: str = Field(min_length=1)
    node_nm: float | None = Field(default=None, ge=NODE_MIN_NM, le=NODE_MAX_NM)


class _TableIn(_Strict):
    version: int = 1
    target_node_nm: float = Field(ge=NODE_MIN_NM, le=NODE_MAX_NM)
    scaling: list[_ScalingIn] = []
    entries: dict[str, _EntryIn]
    sram_points: list[_SramIn] = Field(min_length=1)
    wire_lengths: dict[str, Annotated[float, Field(gt=0, le=MAX_VALUE)]] = {}


class _OverrideIn(_Strict):
    version: int | None = None
    target_node_nm: float | None = Field(default=None, ge=NODE_MIN_NM, le=NODE_MAX_NM)
    scaling: list[_ScalingIn] | None = None
    entries: dict[str, _EntryIn] = {}
    sram_points: list[_SramIn] | None = Field(default=None, min_length=1)
    wire_lengths: dict[str, Annotated[float, Field(gt=0, le=MAX_VALUE)]] = {}


def _first_error(err: ValidationError, origin: str) -> ConfigError:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    kind = first["type"]
    if kind == "missing":
        return ConfigError(f"{origin}: {where} is missing; every entry needs value, unit "
                           "and source")
    if kind == "extra_forbidden":
        return ConfigError(f"{origin}: unknown key {where}; remove it")
    return ConfigError(f"{origin}: {where}: {first['msg']}")


def _merge(base: _TableIn, override: _OverrideIn, origin: str) -> _TableIn:
    entries = dict(base.entries)
    for name, item in override.entries.items():
        if name not in entries:
            raise ConfigError(f"{origin}: entries.{name} is not a known entry; see "
                              "`flexsa energy table` for the names")
        if item.unit != entries[name].unit:
            raise ConfigError(f"{origin}: entries.{name}.unit must be "
                              f"{entries[name].unit!r} (no unit conversion), got {item.unit!r}")
        entries[name] = item
    return _TableIn(
        version=base.version,
        target_node_nm=override.target_node_nm or base.target_node_nm,
        scaling=base.scaling if override.scaling is None else override.scaling,
        entries=entries,
        sram_points=base.sram_points if override.sram_points is None else override.sram_points,
        wire_lengths={**base.wire_lengths, **override.wire_lengths},
    )


def validate_table(data: Any, origin: str, base: Mapping[str, Any]) -> _TableIn:
    """``base`` validated, with the override mapping ``data`` (or None) merged in."""
    try:
        base_raw = _TableIn.model_validate(base)
    except ValidationError as err:
        raise _first_error(err, "default energy table") from None
    if data is None:
        return base_raw
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping with entries/sram_points/"
                          "target_node_nm/scaling")
    try:
        override = _OverrideIn.model_validate(data)
    except ValidationError as err:
        raise _first_error(err, origin) from None
    return _merge(base_raw, override, origin)
