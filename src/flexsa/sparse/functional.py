"""Functional model: C computed in each dataflow's own order (checked against scipy).

OP expands the products in A-column order, Gustavson and IP in A-row order, and the
merge/reduction sums the products that share an output coordinate (for IP the intersection
is implicit in which products exist). Above ``expand_limit`` products it uses scipy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from flexsa.sparse.config import Dataflow
from flexsa.sparse.fibers import ranges
from flexsa.sparse.formats import SpGemmProblem

EXPAND_LIMIT = 2_000_000


def compute_c(problem: SpGemmProblem, dataflow: Dataflow,
              expand_limit: int = EXPAND_LIMIT) -> sp.csr_matrix:
    """C = A @ B computed in the dataflow's order (scipy above ``expand_limit`` products)."""
    work = problem.transposed() if dataflow.transposed else problem
    if product_count(work) > expand_limit:
        c = (work.a @ work.b).tocsr()
    else:
        c = expand_and_merge(work, by_row=dataflow.family != "OP")
    c = c.T.tocsr() if dataflow.transposed else c
    c.sum_duplicates()
    c.sort_indices()
    return c


def product_count(problem: SpGemmProblem) -> int:
    a_col = np.diff(problem.a.tocsc().indptr)
    b_row = np.diff(problem.b.indptr)
    return int(a_col @ b_row)


def expand_and_merge(problem: SpGemmProblem, by_row: bool) -> sp.csr_matrix:
    """Outer product (A column order) or Gustavson (A row order): products, then merge."""
    a = problem.a if by_row else problem.a.tocsc()
    b = problem.b
    if by_row:
        rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
        ks = a.indices
    else:
        ks = np.repeat(np.arange(a.shape[1]), np.diff(a.indptr))
        rows = a.indices
    b_len = np.diff(b.indptr)[ks]
    idx = ranges(b.indptr[ks], b_len)
    out_rows = np.repeat(rows, b_len)
    values = np.repeat(a.data, b_len) * b.data[idx]
    merged = sp.coo_matrix((values, (out_rows, b.indices[idx])),
                           shape=(a.shape[0], b.shape[1])).tocsr()  # merge: sum duplicates
    merged.eliminate_zeros()
    return merged
