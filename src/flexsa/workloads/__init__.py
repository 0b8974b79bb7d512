"""Workloads: layer records, models and their channel graph, the zoo, and lowering to GEMMs.

The names below load on first use (PEP 562): ``from flexsa.workloads.layers import Gemm``
must not import the zoo, which keeps CLI start-up light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flexsa.workloads.layers import (
        ConvLayer,
        ElementwiseLayer,
        Gemm,
        LinearLayer,
        MatMulLayer,
        Phase,
    )
    from flexsa.workloads.lowering import DgradForm, lower_model, phase_totals
    from flexsa.workloads.model import Model, Node, Space
    from flexsa.workloads.zoo import build_model

_HOME = {
    **dict.fromkeys(("ConvLayer", "ElementwiseLayer", "Gemm", "LinearLayer", "MatMulLayer",
                     "Phase"), "layers"),
    **dict.fromkeys(("DgradForm", "lower_model", "phase_totals"), "lowering"),
    **dict.fromkeys(("Model", "Node", "Space"), "model"),
    "build_model": "zoo",
}

__all__ = [
    "ConvLayer", "DgradForm", "ElementwiseLayer", "Gemm", "LinearLayer", "MatMulLayer",
    "Model", "Node", "Phase", "Space", "build_model", "lower_model", "phase_totals",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
