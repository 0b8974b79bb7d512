"""Workloads: layer records, models and their channel graph, the zoo, and lowering to GEMMs."""

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

__all__ = [
    "ConvLayer", "DgradForm", "ElementwiseLayer", "Gemm", "LinearLayer", "MatMulLayer",
    "Model", "Node", "Phase", "Space", "build_model", "lower_model", "phase_totals",
]
