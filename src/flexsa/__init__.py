"""flexsa: compile and simulate flexible accelerators for pruned and sparse DNN workloads."""

__version__ = "0.1.0"

__all__ = ["__version__"]
