"""Operands with the real layers' nonzeros per row and per column (``operand_marginals``).

``data/flexagon_operand_marginals.npz`` (copied from the Flexagon artifact, see
``data/SOURCE.md``) gives, for each of the 511 layers, the nonzeros per row and per column of
the real A (pruned weights) and B (ReLU activations). :func:`realise` builds a seeded 0/1
pattern with exactly those marginals by the bipartite degree-sequence construction of
Gale and Ryser: taking the lines of the smaller dimension in a random order, each one is
connected to the lines of the other dimension with the largest remaining degree (ties broken
at random). That greedy choice never blocks a realisable pair of sequences (Ryser), so it
fails only when the marginals cannot be realised, which is reported in one line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from flexsa.errors import WorkloadError

MARGINALS_NPZ = Path(__file__).parent / "data" / "flexagon_operand_marginals.npz"


def realise(row_nnz: np.ndarray, col_nnz: np.ndarray, rng: np.random.Generator,
            label: str = "matrix") -> sp.csr_matrix:
    """A CSR matrix (values 1..4) with exactly ``row_nnz`` per row and ``col_nnz`` per column."""
    rows = np.asarray(row_nnz, dtype=np.int64)
    cols = np.asarray(col_nnz, dtype=np.int64)
    _check(rows, cols, label)
    indices = _pattern(rows, cols, rng, label)
    indptr = np.r_[0, np.cumsum(rows)]
    values = rng.integers(1, 5, size=indices.size, dtype=np.int8).astype(np.float64)
    return sp.csr_matrix((values, indices, indptr), shape=(rows.size, cols.size))


def _pattern(rows: np.ndarray, cols: np.ndarray, rng: np.random.Generator,
             label: str) -> np.ndarray:
    """Column indices of the nonzeros in CSR order; a matrix denser than half is built as
    its complement."""
    if 2 * int(rows.sum()) > rows.size * cols.size:
        r_c, c_c = _greedy(cols.size - rows, rows.size - cols, rng, label)
        mask = np.ones((rows.size, cols.size), dtype=bool)
        mask[r_c, c_c] = False
        return np.nonzero(mask)[1]  # row-major: already in CSR order
    r_idx, c_idx = _greedy(rows, cols, rng, label)
    return c_idx[np.argsort(r_idx * cols.size + c_idx)]


def _greedy(rows: np.ndarray, cols: np.ndarray, rng: np.random.Generator,
            label: str) -> tuple[np.ndarray, np.ndarray]:
    transpose = rows.size > cols.size  # loop over the smaller dimension
    lines, other = (cols, rows) if transpose else (rows, cols)
    remaining = other.copy()
    picked: list[np.ndarray] = []
    order = rng.permutation(lines.size)
    owner = np.repeat(order, lines[order])
    for line in order:
        need = int(lines[line])
        if need == 0:
            continue
        if need == remaining.size:
            chosen = np.arange(need)
        else:  # largest remaining degrees first, random ties
            key = (remaining << 20) + rng.integers(0, 1 << 20, size=remaining.size)
            chosen = np.argpartition(-key, need - 1)[:need]
        if remaining[chosen].min() <= 0:
            raise WorkloadError(f"{label}: the row and column nonzero counts cannot be realised "
                                "by any 0/1 matrix (Gale-Ryser condition fails)")
        remaining[chosen] -= 1
        picked.append(chosen)
    other_index = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
    return (other_index, owner) if transpose else (owner, other_index)


def _check(rows: np.ndarray, cols: np.ndarray, label: str) -> None:
    if rows.size == 0 or cols.size == 0:
        raise WorkloadError(f"{label}: needs at least one row and one column")
    if (rows < 0).any() or (cols < 0).any():
        raise WorkloadError(f"{label}: nonzero counts must be >= 0")
    if int(rows.sum()) != int(cols.sum()):
        raise WorkloadError(f"{label}: row counts sum to {int(rows.sum())} but column counts "
                            f"to {int(cols.sum())}; they must be equal")
    if int(rows.max()) > cols.size:
        raise WorkloadError(f"{label}: a row count ({int(rows.max())}) is larger than the "
                            f"number of columns ({cols.size})")
    if int(cols.max()) > rows.size:
        raise WorkloadError(f"{label}: a column count ({int(cols.max())}) is larger than the "
                            f"number of rows ({rows.size})")


def random_counts(total: int, size: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` nonzeros over ``size`` lines at uniformly random positions (multinomial
    counts), each count at most ``cap``: for operands whose column counts are not known."""
    if total > size * cap:
        raise WorkloadError(f"{total} nonzeros do not fit in {size} lines of {cap}")
    counts = rng.multinomial(total, np.full(size, 1.0 / size)).astype(np.int64)
    while (counts > cap).any():  # move the excess to random lines with room
        excess = int(np.maximum(0, counts - cap).sum())
        counts = np.minimum(counts, cap)
        room = np.flatnonzero(counts < cap)
        np.add.at(counts, rng.choice(room, size=excess), 1)
    return counts


@lru_cache(maxsize=1)
def _archive(path: Path = MARGINALS_NPZ) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {key: data[key] for key in data.files}


def layer_marginals(model: str, layer: int) -> dict[str, np.ndarray] | None:
    """The real operands' marginals of one layer (``a_col_nnz`` may be missing), or None."""
    data = _archive()
    prefix = f"{model}/{layer}/"
    if prefix + "shape" not in data:
        return None
    return {key[len(prefix):]: value for key, value in data.items() if key.startswith(prefix)}
