"""SCALE-Sim v3 compatibility timing: compute cycles, utilization and mapping efficiency.

Closed forms of what SCALE-Sim 3.0.0 computes (``scalesim/compute/systolic_compute_*.py``
and ``scalesim/memory/double_buffered_scratchpad_mem.py``) for a single ``R x C`` array,
evaluated for every GEMM at once with numpy. A GEMM ``C[M,N] = A[M,K] @ B[K,N]`` (SCALE-Sim:
IFMAP ``M x K``, filter ``K x N``) is mapped per dataflow to spatial rows ``Sr``, spatial
columns ``Sc`` and temporal length ``T``:

=========  =====  =====  =====  ===========================
dataflow   Sr     Sc     T      demand rows per fold
=========  =====  =====  =====  ===========================
``os``     M      N      K      ``T + R + C - 2``
``ws``     K      N      M      ``2R + C + T - 2``
``is``     K      M      N      ``2R + C + T - 2``
=========  =====  =====  =====  ===========================

The array runs ``ceil(Sr/R) x ceil(Sc/C)`` folds one after the other with no overlap (each
fold fills, streams and drains before the next starts). SCALE-Sim's reported cycle count is
the *index* of the last demand row (``max`` of the serviced cycles, counted from 0), i.e.
``folds x rows_per_fold - 1``: the off-by-one this mode keeps. With ideal memory (CALC
bandwidth mode, no stalls) that is the COMPUTE_REPORT "Total Cycles" column.

Per layer SCALE-Sim reports

* overall utilization ``M*N*K / (cycles * R * C)``;
* mapping efficiency: the mean over folds of ``rows_used * cols_used / (R*C)``, which is
  ``Sr * Sc / (R * C * folds)``;
* compute utilization: the mean over folds of ``rows_used*cols_used*T / (R*C*fold_span)``
  with ``fold_span = T + R + C - 2`` (os) or ``2R + 2C + T - 3`` (ws, is).

Here utilization and efficiencies are fractions (SCALE-Sim prints percentages). A GEMM with
``groups > 1`` is ``groups`` separate SCALE-Sim layers. Totals over GEMMs: cycles and MACs
are sums, utilization is recomputed from them, and mapping efficiency and compute
utilization are fold-weighted means (the mean over every fold of the run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from flexsa.errors import ConfigError, WorkloadError
from flexsa.validation import positive
from flexsa.workloads.layers import Gemm
from flexsa.workloads.scalesim_io import DATAFLOWS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class HasCoreArray(Protocol):
    """Anything with one systolic array's size (``ArchConfig``, ``ScaleSimConfig``).

    A protocol; the column-combining array record is :class:`flexsa.packing.metrics.ArrayShape`.
    """

    @property
    def core_rows(self) -> int: ...

    @property
    def core_cols(self) -> int: ...


def scalesim_table(rows: int, cols: int, m: IntArray, n: IntArray, k: IntArray,
                   dataflow: str) -> dict[str, Any]:
    """Per-GEMM SCALE-Sim figures (one instance each) as numpy arrays, vectorised."""
    _check_array(rows, cols)
    dataflow = _check_dataflow(dataflow)
    m, n, k = (np.asarray(x, dtype=np.int64) for x in (m, n, k))
    if dataflow == "os":
        sr, sc, t = m, n, k
        fold_rows = t + rows + cols - 2
        fold_span = fold_rows
    else:
        sr, sc, t = (k, n, m) if dataflow == "ws" else (k, m, n)
        fold_rows = t + 2 * rows + cols - 2
        fold_span = t + 2 * rows + 2 * cols - 3
    row_folds = -(-sr // rows)
    col_folds = -(-sc // cols)
    folds = row_folds * col_folds
    _check_int64_range(folds, fold_rows, m, n, k)
    # SCALE-Sim reports the index of the last cycle; clamp the degenerate 1x1x1 case at 1.
    cycles = np.maximum(folds * fold_rows - 1, 1)
    macs = m * n * k
    pes = rows * cols
    return {
        "sr": sr, "sc": sc, "t": t, "row_folds": row_folds, "col_folds": col_folds,
        "folds": folds, "cycles": cycles, "macs": macs,
        "pe_utilization": macs / (cycles * pes),
        "mapping_efficiency": (sr * sc) / (pes * folds),
        "compute_utilization": (sr * sc * t) / (pes * fold_span * folds),
    }


def simulate_scalesim(arch: HasCoreArray, gemms: Sequence[Gemm], dataflow: str) -> dict[str, Any]:
    """SCALE-Sim v3 timing of ``gemms`` on one ``core_rows x core_cols`` array (JSON-ready).

    A multi-core ``arch`` is modelled as ONE of its cores (SCALE-Sim simulates a single
    array); the result says so in ``array`` (``cores_in_arch``, ``note``).
    """
    rows, cols = _array_of(arch)
    dataflow = _check_dataflow(dataflow)
    if not gemms:
        raise WorkloadError("no GEMMs to simulate")
    for gemm in gemms:
        if gemm.executed_macs >= 2**62:
            raise WorkloadError(f"GEMM of {gemm.layer!r} is too large for the SCALE-Sim mode "
                                f"({gemm.executed_macs} MACs); use smaller dimensions")
    m = np.fromiter((g.m for g in gemms), dtype=np.int64, count=len(gemms))
    n = np.fromiter((g.n for g in gemms), dtype=np.int64, count=len(gemms))
    k = np.fromiter((g.k for g in gemms), dtype=np.int64, count=len(gemms))
    groups = np.fromiter((g.groups for g in gemms), dtype=np.int64, count=len(gemms))
    table = scalesim_table(rows, cols, m, n, k, dataflow)
    cycles = int((table["cycles"] * groups).sum())
    macs = int((table["macs"] * groups).sum())
    folds = table["folds"] * groups
    total_folds = int(folds.sum())
    return {
        "timing": "scalesim",
        "dataflow": dataflow,
        "array": _array_info(arch, rows, cols),
        "cycles": cycles,
        "macs": macs,
        "useful_macs": int(sum(g.macs for g in gemms)),
        "pe_utilization": macs / (cycles * rows * cols),
        "mapping_efficiency": float((table["mapping_efficiency"] * folds).sum() / total_folds),
        "compute_utilization": float((table["compute_utilization"] * folds).sum()
                                     / total_folds),
        "folds": total_folds,
        "layers": _layer_rows(gemms, table, groups),
    }


def _check_int64_range(folds: IntArray, fold_rows: IntArray, m: IntArray, n: IntArray,
                       k: IntArray) -> None:
    """Refuse GEMMs whose cycle or MAC counts would overflow 64-bit integers."""
    as_float = [folds.astype(np.float64) * fold_rows,
                m.astype(np.float64) * n * k]
    if any(bool(np.any(values >= 2.0**62)) for values in as_float):
        raise WorkloadError("a GEMM is too large for the SCALE-Sim mode (over 2^62 cycles or "
                            "MACs); split it or use smaller dimensions")


def _layer_rows(gemms: Sequence[Gemm], table: dict[str, Any],
                groups: IntArray) -> list[dict[str, Any]]:
    columns = {name: table[name].tolist() for name in (
        "sr", "sc", "t", "row_folds", "col_folds", "cycles", "pe_utilization",
        "mapping_efficiency", "compute_utilization")}
    total_cycles = (table["cycles"] * groups).tolist()
    rows = []
    for i, gemm in enumerate(gemms):
        row: dict[str, Any] = {"layer": gemm.layer, "phase": gemm.phase.value}
        if gemm.part:
            row["part"] = gemm.part
        row.update(m=gemm.m, n=gemm.n, k=gemm.k, groups=gemm.groups,
                   cycles=total_cycles[i], cycles_per_group=columns["cycles"][i])
        row.update({name: columns[name][i] for name in columns if name != "cycles"})
        rows.append(row)
    return rows


def _array_of(arch: HasCoreArray) -> tuple[int, int]:
    try:
        rows, cols = arch.core_rows, arch.core_cols
    except AttributeError:
        raise ConfigError("SCALE-Sim mode needs an arch with core_rows and core_cols") from None
    _check_array(rows, cols)
    return int(rows), int(cols)


def _array_info(arch: HasCoreArray, rows: int, cols: int) -> dict[str, Any]:
    cores = int(getattr(arch, "groups", 1)) * int(getattr(arch, "cores_per_group", 1))
    info: dict[str, Any] = {"rows": rows, "cols": cols, "cores_in_arch": cores}
    if cores > 1:
        info["note"] = (f"SCALE-Sim models one array: one {rows}x{cols} core of the "
                        f"arch's {cores} cores is simulated")
    return info


def _check_array(rows: int, cols: int) -> None:
    for name, value in (("core_rows", rows), ("core_cols", cols)):
        positive(value, name, error=ConfigError, strict=True)
        if value >= 2**31:
            raise ConfigError(f"{name} = {value} is too large; use fewer than 2^31 PEs per side")


def _check_dataflow(dataflow: str) -> str:
    key = str(dataflow).strip().lower()
    if key not in DATAFLOWS:
        raise ConfigError(f"--dataflow must be one of is, ws, os; got {dataflow!r}")
    return key
