"""flexsa: compile and simulate flexible accelerators for pruned and sparse DNN workloads."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flexsa")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0+src"

__all__ = ["__version__"]
