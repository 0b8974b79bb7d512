"""Boundary validation of accelerator configs: YAML (safe, no duplicate keys) and pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from flexsa.arch.config import ArchConfig, MemoryConfig
from flexsa.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate mapping keys."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                              deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise ConfigError(f"duplicate key {key!r} (line {line}); give each key once")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_unique_mapping)


def load_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file that must contain one mapping."""
    from flexsa.paths import read_text

    text = read_text(path, "config file", ConfigError)
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (safe loader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{where}") from None
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of config keys at the top level")
    return data


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False, frozen=True, allow_inf_nan=False)


class MemoryModel(_Strict):
    gbuf_mib: float = 10.0
    dram_gbps: float = 270.0
    dram_latency_cycles: int = 100
    gbuf_to_lbuf_bytes_per_cycle: float | None = None
    gbuf_ports: int = 0
    lbuf_port_bytes_per_cycle: float | None = None
    dram_output_bytes: int = 2


class ArchModel(_Strict):
    name: str = "custom"
    groups: int
    cores_per_group: int
    core_rows: int
    core_cols: int
    flexsa: bool = False
    lbuf_stationary_elems: int = 0
    lbuf_streamed_elems: int = 0
    lbuf_output_elems: int = 0
    clock_ghz: float = 0.7
    input_bytes: int = 2
    output_bytes: int = 4
    mode_switch_cycles: int = 1
    mode_switch: str = "drain"
    allocation: str = "wave"
    memory: MemoryModel = MemoryModel()
    description: str = ""


def _first_error(err: ValidationError, source: str) -> ConfigError:
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"]) or "config"
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(ArchModel.model_fields) if "." not in loc else ", ".join(
            MemoryModel.model_fields)
        return ConfigError(f"{source}: unknown key {loc!r}; allowed keys: {allowed}")
    if kind == "missing":
        return ConfigError(f"{source}: missing key {loc!r}")
    value = first.get("input")
    return ConfigError(f"{source}: {loc}={value!r} is invalid ({first['msg']})")


TEXT_KEYS = ("name", "description", "allocation", "mode_switch")


def _reject_booleans(data: Mapping[str, Any], source: str, prefix: str = "") -> None:
    """``true``/``false`` only for ``flexsa``: YAML booleans are not numbers."""
    for key, value in data.items():
        if isinstance(value, Mapping):
            _reject_booleans(value, source, f"{prefix}{key}.")
        elif isinstance(value, bool) and key != "flexsa":
            kind = "a word" if key in TEXT_KEYS else "a number"
            raise ConfigError(f"{source}: {prefix}{key}={value!r} is invalid (give {kind}, "
                              "not true/false)")


def validate_arch_mapping(data: Mapping[str, Any], source: str = "config") -> ArchConfig:
    """Validate a mapping into an :class:`ArchConfig` (one-line :class:`ConfigError`)."""
    _reject_booleans(data, source)
    try:
        model = ArchModel.model_validate(dict(data))
    except ValidationError as err:
        raise _first_error(err, source) from None
    fields = model.model_dump()
    try:
        memory = MemoryConfig(**fields.pop("memory"))
        return ArchConfig(memory=memory, **fields)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None
