"""Real operands in the Flexagon artifact's layer-folder layout.

A layer folder (the artifact's ``Models/MODEL/bench_MODEL_I/layer_data``; the ``bench_...``
folder above it is accepted too) holds ``layer_info.json`` (``name``, ``M``, ``N``, ``K``) and
the compressed operands as comma-separated integer files (a trailing comma is allowed):

* ``A_csr_rowpointer.in`` (M + 1 row pointers) and ``A_csr_colpointer.in`` (column indices),
  or the CSC pair ``A_csc_colpointer.in`` (K + 1 column pointers) and ``A_csc_rowpointer.in``;
* ``B_csr_rowpointer.in`` (K + 1) and ``B_csr_colpointer.in``, or ``B_csc_colpointer.in``
  (N + 1) and ``B_csc_rowpointer.in``.

The pointer/index files carry no values (the reference simulator's values live in its memory
images), so every nonzero is 1.0; the timing depends only on the pattern. Any missing or
inconsistent file is refused with one line naming the file and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from flexsa.errors import WorkloadError
from flexsa.sparse.formats import SpGemmProblem
from flexsa.validation import positive


def _read_ints(path: Path) -> np.ndarray:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise WorkloadError(f"{str(path)!r}: cannot be read ({err.__class__.__name__})") from None
    parts = [p for p in text.replace("\n", ",").split(",") if p.strip()]
    try:
        values = np.array([int(p) for p in parts], dtype=np.int64)
    except ValueError:
        raise WorkloadError(f"{str(path)!r}: expected comma-separated integers") from None
    return values


def _compressed(folder: Path, label: str, rows: int, cols: int) -> sp.csr_matrix:
    """Operand ``label`` (A or B, ``rows x cols``) from its CSR pair, else its CSC pair."""
    layouts = (("csr", "rowpointer", "colpointer", rows, cols),
               ("csc", "colpointer", "rowpointer", cols, rows))
    for fmt, ptr_name, idx_name, major, minor in layouts:
        ptr_path = folder / f"{label}_{fmt}_{ptr_name}.in"
        idx_path = folder / f"{label}_{fmt}_{idx_name}.in"
        if not (ptr_path.is_file() and idx_path.is_file()):
            continue
        ptr = _read_ints(ptr_path)
        idx = _read_ints(idx_path)
        if ptr.size != major + 1:
            raise WorkloadError(f"{str(ptr_path)!r}: {ptr.size} pointers, expected {major + 1} "
                                f"({'M' if label == 'A' and fmt == 'csr' else 'the dimension'}"
                                f" + 1 = {major} + 1 from layer_info.json)")
        if ptr[0] != 0 or (np.diff(ptr) < 0).any() or ptr[-1] != idx.size:
            raise WorkloadError(f"{str(ptr_path)!r}: pointers must start at 0, never decrease "
                                f"and end at the index count of {idx_path.name} ({idx.size})")
        if idx.size and (idx.min() < 0 or idx.max() >= minor):
            raise WorkloadError(f"{str(idx_path)!r}: index out of range 0..{minor - 1}")
        data = np.ones(idx.size, dtype=np.float64)
        shape = (major, minor)
        matrix = sp.csr_matrix((data, idx, ptr), shape=shape)
        if fmt == "csc":
            matrix = sp.csc_matrix((data, idx, ptr), shape=(rows, cols)).tocsr()
        matrix.sum_duplicates()
        if matrix.nnz != idx.size:
            raise WorkloadError(f"{str(idx_path)!r}: repeated index inside one fibre")
        matrix.sort_indices()
        return matrix.tocsr()
    raise WorkloadError(f"{str(folder)!r}: missing {label}_csr_rowpointer.in + "
                        f"{label}_csr_colpointer.in (or the {label}_csc_... pair)")


def load_layer_dir(folder: Path) -> SpGemmProblem:
    """Read one layer folder of the artifact's layout (see the module docstring)."""
    if (folder / "layer_data").is_dir():
        folder = folder / "layer_data"
    info_path = folder / "layer_info.json"
    if not folder.is_dir():
        raise WorkloadError(f"layer folder {str(folder)!r} does not exist")
    if not info_path.is_file():
        raise WorkloadError(f"{str(info_path)!r} is missing (the layer folder needs it)")
    try:
        info = json.loads(info_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WorkloadError(f"{str(info_path)!r}: not valid JSON ({err})") from None
    dims = {}
    for key in ("M", "N", "K"):
        value = info.get(key) if isinstance(info, dict) else None
        dims[key] = positive(value, f"{str(info_path)!r}: field {key}", error=WorkloadError,
                             strict=True)
    a = _compressed(folder, "A", dims["M"], dims["K"])
    b = _compressed(folder, "B", dims["K"], dims["N"])
    name = str(info.get("name", folder.parent.name if folder.name == "layer_data"
                        else folder.name))
    return SpGemmProblem(a=a, b=b, name=name)


def write_layer_dir(problem: SpGemmProblem, folder: Path, name: str = "layer") -> None:
    """Write ``problem`` in the artifact's layout (CSR and CSC of both operands)."""
    folder.mkdir(parents=True, exist_ok=True)
    info = {"name": name, "M": problem.m, "N": problem.n, "K": problem.k}
    (folder / "layer_info.json").write_text(json.dumps(info, indent=4))

    def put(file: str, values: np.ndarray) -> None:
        (folder / file).write_text("".join(f"{int(v)}," for v in values))

    for label, matrix in (("A", problem.a), ("B", problem.b)):
        csr = matrix.tocsr()
        csc = matrix.tocsc()
        csc.sort_indices()
        put(f"{label}_csr_rowpointer.in", csr.indptr)
        put(f"{label}_csr_colpointer.in", csr.indices)
        put(f"{label}_csc_colpointer.in", csc.indptr)
        put(f"{label}_csc_rowpointer.in", csc.indices)
