"""Sparse operands: seeded generation, file loading (.npz, MatrixMarket), validation.

Matrices are ``scipy.sparse.csr_matrix`` (float64) downstream; CSC views are derived with
``.tocsc()``/``.T`` where a dataflow needs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from flexsa.errors import WorkloadError
from flexsa.paths import input_file
from flexsa.validation import LIMITS, as_int, positive


@dataclass(frozen=True)
class SpGemmProblem:
    """``C[M,N] = A[M,K] @ B[K,N]`` with both operands sparse (CSR, float64)."""

    a: sp.csr_matrix
    b: sp.csr_matrix
    name: str = "problem"

    @property
    def m(self) -> int:
        return int(self.a.shape[0])

    @property
    def k(self) -> int:
        return int(self.a.shape[1])

    @property
    def n(self) -> int:
        return int(self.b.shape[1])

    def transposed(self) -> SpGemmProblem:
        """The N-variant problem ``C^T = B^T @ A^T``."""
        return SpGemmProblem(a=self.b.T.tocsr(), b=self.a.T.tocsr(), name=self.name + "^T")


def make_problem(a: Any, b: Any, name: str = "problem") -> SpGemmProblem:
    """Validate shapes and wrap two matrices (dense arrays or scipy sparse) as CSR."""
    a_csr = _as_csr(a, "A")
    b_csr = _as_csr(b, "B")
    if a_csr.shape[1] != b_csr.shape[0]:
        raise WorkloadError(f"inner dimensions differ: A is {a_csr.shape[0]}x{a_csr.shape[1]} "
                            f"but B is {b_csr.shape[0]}x{b_csr.shape[1]} (A's K must equal "
                            "B's row count)")
    return SpGemmProblem(a=a_csr, b=b_csr, name=name)


def _as_csr(matrix: Any, label: str) -> sp.csr_matrix:
    if sp.issparse(matrix):
        csr = sp.csr_matrix(matrix, dtype=np.float64)
    else:
        array = np.asarray(matrix, dtype=np.float64)
        if array.ndim != 2:
            raise WorkloadError(f"{label} must be a 2-D matrix, got {array.ndim} dimensions")
        csr = sp.csr_matrix(array)
    if csr.shape[0] <= 0 or csr.shape[1] <= 0:
        raise WorkloadError(f"{label} must have at least one row and one column")
    csr.eliminate_zeros()
    csr.sum_duplicates()
    csr.sort_indices()
    return csr


def random_sparse(rows: int, cols: int, nnz: int, rng: np.random.Generator,
                  label: str = "matrix") -> sp.csr_matrix:
    """A ``rows x cols`` matrix with exactly ``nnz`` nonzeros at uniform random positions.

    Values are small nonzero integers (1..4) so results are exact in float64.
    """
    positive(rows, f"{label} rows", error=WorkloadError)
    positive(cols, f"{label} columns", error=WorkloadError)
    size = rows * cols
    as_int(nnz, f"nnz of {label} ({rows}x{cols})", low=0, high=size, error=WorkloadError)
    if nnz == size:
        positions = np.arange(size, dtype=np.int64)
    elif nnz > size // 2:
        keep = np.ones(size, dtype=bool)
        keep[_sample_positions(size, size - nnz, rng)] = False
        positions = np.flatnonzero(keep)
    else:
        positions = np.sort(_sample_positions(size, nnz, rng))
    row = positions // cols
    col = positions - row * cols
    values = rng.integers(1, 5, size=nnz).astype(np.float64)
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=rows), out=indptr[1:])
    return sp.csr_matrix((values, col.astype(np.int64), indptr), shape=(rows, cols))


def _sample_positions(size: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct positions in ``0..size-1`` (Floyd-style via oversampling)."""
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count * 4 >= size:
        return rng.permutation(size)[:count].astype(np.int64)
    picked = np.unique(rng.integers(0, size, size=int(count * 1.1) + 16))
    while picked.size < count:
        extra = rng.integers(0, size, size=count - picked.size + 16)
        picked = np.unique(np.concatenate([picked, extra]))
    return rng.permutation(picked)[:count].astype(np.int64)


def generate_problem(m: int, n: int, k: int, nnz_a: int, nnz_b: int, seed: int = 0,
                     name: str = "synthetic") -> SpGemmProblem:
    """Seeded synthetic operands with the given shapes and nonzero counts."""
    for label, value in (("m", m), ("n", n), ("k", k)):
        positive(value, f"--{label}", error=WorkloadError)
    rng = np.random.default_rng(seed)
    a = random_sparse(m, k, nnz_a, rng, "A")
    b = random_sparse(k, n, nnz_b, rng, "B")
    return SpGemmProblem(a=a, b=b, name=name)


def load_matrix(path: Path, label: str = "matrix") -> sp.csr_matrix:
    """Read a scipy ``.npz`` (``save_npz``) or MatrixMarket (``.mtx``) file as CSR."""
    import scipy.io

    if not path.is_file():
        raise WorkloadError(f"{label} file {str(path)!r} does not exist")
    input_file(path, f"{label} file", WorkloadError)  # readable, within input_bytes
    try:
        if path.suffix in {".mtx", ".mm"}:  # the header's sizes, before reading the entries
            rows, cols, entries = scipy.io.mminfo(str(path))[:3]
            for value, name, what in ((rows, "rows", "sparse_dim"), (cols, "columns",
                                      "sparse_dim"), (entries, "entries", "sparse_nnz")):
                LIMITS[what].check(int(value), f"{label} file {str(path)!r}: {name}",
                                   error=WorkloadError)
        if path.suffix == ".npz":
            matrix = sp.load_npz(path)
        elif path.suffix in {".mtx", ".mm"}:
            matrix = scipy.io.mmread(str(path))
        else:
            raise WorkloadError(f"{label} file {str(path)!r}: use a .npz (scipy save_npz) or "
                                ".mtx (MatrixMarket) file")
    except WorkloadError:
        raise
    except Exception as err:  # noqa: BLE001 - any parse failure is bad input
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise WorkloadError(f"{label} file {str(path)!r} is not a valid matrix: {first}") from None
    return _as_csr(matrix, label)


@dataclass(frozen=True)
class CalibrationCase:
    """A small problem with the reference simulator's cycles per dataflow."""

    problem: SpGemmProblem
    expected_c: np.ndarray | None
    reference_cycles: dict[str, int]
    reference_split: dict[str, tuple[int, int]]
    description: str


def load_case(path: Path) -> CalibrationCase:
    """Read a case JSON (``A``, ``B`` dense lists; optional ``C`` and reference cycles)."""
    if not path.is_file():
        raise WorkloadError(f"case file {str(path)!r} does not exist")
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WorkloadError(f"case file {str(path)!r} is not valid JSON: {err}") from None
    return parse_case(raw, str(path))


def parse_case(raw: Any, source: str) -> CalibrationCase:
    from pydantic import BaseModel, ConfigDict, ValidationError

    class _Case(BaseModel):
        model_config = ConfigDict(extra="ignore")
        A: list[list[float]]
        B: list[list[float]]
        C: list[list[float]] | None = None
        description: str = ""
        reference_cycles: dict[str, int] = {}
        reference_mult_merge_cycles: dict[str, tuple[int, int]] = {}

    try:
        case = _Case.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise WorkloadError(f"case {source!r}: field {where}: {first['msg']}") from None
    for label, rows in (("A", case.A), ("B", case.B)):
        if not rows or len({len(r) for r in rows}) != 1 or not rows[0]:
            raise WorkloadError(f"case {source!r}: {label} must be a non-empty rectangular "
                                "list of rows")
    problem = make_problem(np.array(case.A), np.array(case.B), name=Path(source).stem)
    expected = np.array(case.C) if case.C is not None else None
    return CalibrationCase(problem=problem, expected_c=expected,
                           reference_cycles=dict(case.reference_cycles),
                           reference_split={k: (int(v[0]), int(v[1]))
                                            for k, v in case.reference_mult_merge_cycles.items()},
                           description=case.description)


def builtin_case_path() -> Path:
    return Path(__file__).parent / "data" / "flexagon_synth_case.json"
