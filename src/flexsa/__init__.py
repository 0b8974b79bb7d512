"""flexsa: compile and simulate flexible accelerators for pruned and sparse DNN workloads."""

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "simulate", "sweep"]

_API = ("simulate", "sweep", "Simulation")


def __getattr__(name: str) -> Any:
    """``flexsa.simulate`` / ``flexsa.sweep``, imported on first use (keeps start-up light)."""
    if name in _API:
        from flexsa import api

        return getattr(api, name)
    raise AttributeError(f"module 'flexsa' has no attribute {name!r}")
