"""One engine, six dataflows: functional result and the per-family cost models.

``simulate(problem, dataflow, hw)`` computes C in the dataflow's own order
(:mod:`flexsa.sparse.functional`) and derives the timing from vectorised counts over the
operands' compressed fibres: one cost model per dataflow family (:mod:`~flexsa.sparse.inner`,
:mod:`~flexsa.sparse.outer`, :mod:`~flexsa.sparse.gustavson`), each returning its typed
:class:`~flexsa.sparse.results.CycleTerms`, with the timing profile as a strategy object
(:mod:`flexsa.sparse.profiles`). An N variant is the M variant on ``C^T = B^T A^T``.
"""

from __future__ import annotations

import scipy.sparse as sp

from flexsa.sparse.config import Dataflow, HardwareConfig
from flexsa.sparse.fibers import LayerOperands, Operands, operands_of
from flexsa.sparse.formats import SpGemmProblem
from flexsa.sparse.functional import EXPAND_LIMIT, compute_c
from flexsa.sparse.gustavson import gustavson
from flexsa.sparse.inner import inner_product
from flexsa.sparse.outer import outer_product
from flexsa.sparse.profiles import timing_for
from flexsa.sparse.results import CycleTerms, DataflowResult, TierTraffic

__all__ = ["EXPAND_LIMIT", "CycleTerms", "DataflowResult", "LayerOperands", "TierTraffic",
           "analyse", "analyse_operands", "compute_c", "simulate"]

_MODELS = {"IP": inner_product, "OP": outer_product, "Gust": gustavson}


def simulate(problem: SpGemmProblem, dataflow: Dataflow, hw: HardwareConfig,
             c: sp.csr_matrix | None = None) -> tuple[sp.csr_matrix, DataflowResult]:
    """Run one dataflow: (C, statistics). Pass ``c`` (= A @ B) to skip the functional part."""
    if c is None:
        c = compute_c(problem, dataflow)
    work = problem.transposed() if dataflow.transposed else problem
    c_work = c.T.tocsr() if dataflow.transposed else c
    return c, analyse(work, c_work, dataflow, hw)


def analyse(work: SpGemmProblem, c_work: sp.csr_matrix, dataflow: Dataflow,
            hw: HardwareConfig) -> DataflowResult:
    """Statistics of ``dataflow`` on an already-transposed (M-variant) problem."""
    return analyse_operands(operands_of(work, c_work), dataflow, hw)


def analyse_operands(ops: Operands, dataflow: Dataflow, hw: HardwareConfig) -> DataflowResult:
    """Statistics of ``dataflow`` from precomputed fibre statistics (M-variant orientation)."""
    return _MODELS[dataflow.family](ops, dataflow, hw, timing_for(hw))
