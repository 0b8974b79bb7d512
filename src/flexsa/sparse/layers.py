"""The 511 sparse layers of the Flexagon evaluation and per-layer evaluation of all dataflows."""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flexsa.errors import WorkloadError
from flexsa.sparse.config import ALL_DATAFLOWS, Dataflow, HardwareConfig
from flexsa.sparse.engine import DataflowResult, LayerOperands, analyse_operands
from flexsa.sparse.formats import SpGemmProblem, generate_problem
from flexsa.sparse.marginals import layer_marginals, random_counts, realise

LAYERS_CSV = Path(__file__).parent / "data" / "flexagon_layers.csv"


@dataclass(frozen=True)
class SparseLayer:
    """One row of the layers file: shapes and nonzero counts of A (weights) and B."""

    model: str
    layer: int
    m: int
    n: int
    k: int
    nnz_a: int
    nnz_b: int
    operands: str = "marginals"  # "marginals" (real row/column counts) or "uniform"
    layer_dir: Path | None = None  # real operands in the artifact's layer-folder layout

    @property
    def key(self) -> str:
        return f"{self.model}/{self.layer}"

    @property
    def signature(self) -> str:
        """Layers with the same signature get identical operands (simulated once).

        Uniform operands depend only on shapes and nonzero counts; marginal-matched ones on
        the layer's own row and column counts.
        """
        shape = f"{self.m}x{self.k}x{self.n}:{self.nnz_a}:{self.nnz_b}"
        if self.layer_dir is not None:
            return f"{self.key}:dir:{self.layer_dir}"
        if self.operands == "marginals" and layer_marginals(self.model, self.layer) is not None:
            return f"{self.key}:{shape}"
        return shape

    def problem(self, seed: int) -> SpGemmProblem:
        """Seeded operands: the layer's real row/column counts when known, else uniform."""
        if self.layer_dir is not None:
            return self._from_dir(self.layer_dir)
        salt = int.from_bytes(hashlib.sha256(self.signature.encode()).digest()[:4], "little")
        marginals = layer_marginals(self.model, self.layer) if self.operands == "marginals" \
            else None
        if marginals is None:
            return generate_problem(self.m, self.n, self.k, self.nnz_a, self.nnz_b,
                                    seed=seed * 1_000_003 + salt, name=self.key)
        rng = np.random.default_rng(seed * 1_000_003 + salt)
        a_rows = marginals["a_row_nnz"]
        a_cols = marginals.get("a_col_nnz")
        if a_cols is None:  # not in the artifact: uniformly random column counts
            a_cols = random_counts(int(a_rows.sum()), self.k, self.m, rng)
        a = realise(a_rows, a_cols, rng, f"layer {self.key} A")
        b = realise(marginals["b_row_nnz"], marginals["b_col_nnz"], rng, f"layer {self.key} B")
        return SpGemmProblem(a=a, b=b, name=self.key)

    def _from_dir(self, folder: Path) -> SpGemmProblem:
        from flexsa.sparse.layerdir import load_layer_dir

        problem = load_layer_dir(folder)
        if (problem.m, problem.n, problem.k) != (self.m, self.n, self.k):
            raise WorkloadError(f"layer folder {str(folder)!r}: M, N, K = {problem.m}, "
                                f"{problem.n}, {problem.k} but layer {self.key} has {self.m}, "
                                f"{self.n}, {self.k}")
        return SpGemmProblem(a=problem.a, b=problem.b, name=self.key)


def find_layer_dir(root: Path, model: str, layer: int) -> Path | None:
    """The artifact's folder of one layer under ``root`` (``Models`` or a model folder)."""
    name = f"bench_{model}_{layer}"
    for candidate in (root / model / name, root / name):
        if (candidate / "layer_data" / "layer_info.json").is_file() or (
                candidate / "layer_info.json").is_file():
            return candidate
    return None


def attach_layer_dirs(layers: Sequence[SparseLayer], root: Path) -> list[SparseLayer]:
    """Layers whose folder exists under ``root`` read their real operands from it."""
    from dataclasses import replace

    if not root.is_dir():
        raise WorkloadError(f"--operands {str(root)!r}: not a directory (use marginals, "
                            "uniform or the artifact's Models folder)")
    found = [replace(ly, layer_dir=find_layer_dir(root, ly.model, ly.layer)) for ly in layers]
    if not any(ly.layer_dir for ly in found):
        raise WorkloadError(f"--operands {str(root)!r}: no layer folder found (expected "
                            "MODEL/bench_MODEL_I/layer_data/layer_info.json)")
    return found


def load_layers(path: Path = LAYERS_CSV, operands: str = "marginals") -> list[SparseLayer]:
    """Parse a layers CSV (``model,layer,M,N,K,A_nnz,B_nnz``; ``#`` comment lines).

    ``operands``: ``marginals`` (default: the real row/column counts where the package has
    them) or ``uniform`` (uniformly random positions with the layer's nonzero counts).
    """
    if operands not in {"marginals", "uniform"}:
        raise WorkloadError(f"operands must be 'marginals' or 'uniform', got {operands!r}")
    if not path.is_file():
        raise WorkloadError(f"layers file {str(path)!r} does not exist")
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    reader = csv.DictReader(lines)
    needed = {"model", "layer", "M", "N", "K", "A_nnz", "B_nnz"}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        raise WorkloadError(f"layers file {str(path)!r} needs columns {sorted(needed)}")
    layers = []
    for row_number, row in enumerate(reader, start=2):
        try:
            layer = SparseLayer(model=row["model"], layer=int(row["layer"]), m=int(row["M"]),
                                n=int(row["N"]), k=int(row["K"]), nnz_a=int(row["A_nnz"]),
                                nnz_b=int(row["B_nnz"]), operands=operands)
        except (TypeError, ValueError):
            raise WorkloadError(f"layers file {str(path)!r} row {row_number}: integer fields "
                                "expected") from None
        if min(layer.m, layer.n, layer.k) <= 0 or not (
                0 <= layer.nnz_a <= layer.m * layer.k and 0 <= layer.nnz_b <= layer.k * layer.n):
            raise WorkloadError(f"layers file {str(path)!r} row {row_number}: shapes must be "
                                "> 0 and nnz within the matrix size")
        layers.append(layer)
    return layers


def model_names(layers: Sequence[SparseLayer]) -> list[str]:
    return list(dict.fromkeys(layer.model for layer in layers))


@dataclass(frozen=True)
class LayerRun:
    """All requested dataflows of one layer (C computed once with scipy, checked per run)."""

    layer: SparseLayer
    results: dict[Dataflow, DataflowResult]
    c_nnz: int
    seconds: float


def run_layer(layer: SparseLayer, hw: HardwareConfig, seed: int = 0,
              dataflows: Sequence[Dataflow] = ALL_DATAFLOWS,
              problem: SpGemmProblem | None = None) -> LayerRun:
    """Generate the layer's operands, compute C once, derive every dataflow's statistics."""
    start = time.perf_counter()
    if problem is None:
        problem = layer.problem(seed)
    c = (problem.a @ problem.b).tocsr()
    c.sort_indices()
    operands = LayerOperands(problem, c)
    results = {flow: analyse_operands(operands.for_transposed(flow.transposed), flow, hw)
               for flow in dataflows}
    return LayerRun(layer=layer, results=results, c_nnz=int(c.nnz),
                    seconds=time.perf_counter() - start)
