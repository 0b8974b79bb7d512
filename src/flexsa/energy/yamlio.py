"""Safe YAML loading with duplicate keys rejected (one-line errors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from flexsa.errors import ConfigError

# libyaml's parser when PyYAML was built with it (several times faster: start-up matters).
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """A SafeLoader that refuses mappings with a repeated key."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode,
                       deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ConfigError(f"duplicate key {key!r} at line {line}; give each key once")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                 _construct_mapping)


def load_yaml_text(text: str, origin: str) -> Any:
    """Parse YAML text safely; syntax errors and duplicate keys become ConfigError."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except ConfigError as err:
        raise ConfigError(f"{origin}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{origin}: invalid YAML{where}; fix the syntax") from None


def load_yaml_file(path: str | Path) -> Any:
    from flexsa.paths import read_text

    file = Path(path)
    return load_yaml_text(read_text(file, "YAML file", ConfigError), str(file))
