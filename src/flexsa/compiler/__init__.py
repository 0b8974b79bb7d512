"""The compiler: partitioning, wave tiling, FlexSA mode selection and ISA emission."""

from flexsa.compiler.modes import MODE_KEYS, Mode
from flexsa.compiler.plan import GemmPlan, PartPlan, compile_gemm
from flexsa.compiler.program import Program, UnitProgram, compile_program, emit_program

__all__ = ["MODE_KEYS", "GemmPlan", "Mode", "PartPlan", "Program", "UnitProgram",
           "compile_gemm", "compile_program", "emit_program"]
