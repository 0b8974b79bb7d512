"""Simulators: the fast wave model, the wave trace, functional execution, the reference."""

from flexsa.sim.api import simulate_gemms, simulate_model
from flexsa.sim.result import GemmStats, SimResult, Traffic, WaveStats

__all__ = ["GemmStats", "SimResult", "Traffic", "WaveStats", "simulate_gemms",
           "simulate_model"]
