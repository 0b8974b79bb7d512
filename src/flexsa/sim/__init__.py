"""Simulators: the fast wave model, the wave trace, functional execution, the reference.

A whole run (core timing, memory, energy, SIMD) is evaluated by :mod:`flexsa.pipeline`.
"""

from flexsa.sim.result import CoreTiming, GemmStats, Traffic, WaveStats

__all__ = ["CoreTiming", "GemmStats", "Traffic", "WaveStats"]
