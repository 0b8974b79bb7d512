"""Light option coercion for plain ``str``/``int``/``float`` options (CLI start-up).

typer >= 0.20 converts every option value through a pydantic ``TypeAdapter``, which imports
pydantic's schema machinery and builds one validator per option: about a third of the
start-up time of ``flexsa simulate --gemm ...`` on a 2-core box. Our options are plain
strings and numbers (validated by the commands themselves), so :func:`install` routes those
through ``str``/``int``/``float``/``bool`` and leaves everything else (paths, enums, ranges, custom
parsers, lists) to typer. With a typer without this hook, :func:`install` does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_PLAIN = (str, int, float, bool)
_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "y": True, "t": True,
          "0": False, "false": False, "no": False, "off": False, "n": False, "f": False}


def _convert(kind: type, value: Any) -> Any:
    if kind is bool:
        return _BOOLS[str(value).strip().lower()]
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    if kind in (int, float) and not str(value).isascii():
        raise ValueError(value)  # int("٣") == 3: numbers are ASCII on our command line
    return kind(value)


def install() -> None:
    try:
        from typer import core
        from typer._coercion import RuntimeParam
    except ImportError:  # pragma: no cover - typer without the pydantic coercion layer
        return
    original = getattr(core, "build_runtime_param", None)
    if original is None or getattr(original, "_flexsa_light", False):
        return

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            kind = self.annotation
            try:
                return _convert(kind, value)
            except (KeyError, TypeError, ValueError):
                from typer import BadParameter

                raise BadParameter(f"{value!r} is not a valid {_NAMES[kind]}", ctx=ctx,
                                   param=param) from None

    def build_runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        plain = (descriptor.annotation in _PLAIN and descriptor.file_annotation is None
                 and getattr(info, "parser", None) is None
                 and getattr(info, "min", None) is None and getattr(info, "max", None) is None)
        if plain:
            return PlainRuntimeParam(parameter_info=info, annotation=descriptor.annotation)
        return original(descriptor)

    build_runtime_param._flexsa_light = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param
