"""The compiler: partitioning, wave tiling, FlexSA mode selection and ISA emission.

The names below load on first use (PEP 562), so timing a GEMM does not import the ISA.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flexsa.compiler.modes import MODE_KEYS, Mode
    from flexsa.compiler.plan import GemmPlan, PartPlan, compile_gemm
    from flexsa.compiler.program import Program, UnitProgram, compile_program, emit_program

_HOME = {
    "MODE_KEYS": "modes", "Mode": "modes",
    **dict.fromkeys(("GemmPlan", "PartPlan", "compile_gemm"), "plan"),
    **dict.fromkeys(("Program", "UnitProgram", "compile_program", "emit_program"), "program"),
}

__all__ = ["MODE_KEYS", "GemmPlan", "Mode", "PartPlan", "Program", "UnitProgram",
           "compile_gemm", "compile_program", "emit_program"]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
