"""Run the real SCALE-Sim v3 (the ``scalesim`` PyPI package, dev extra) as a reference.

Used by the tests and ``bench/bench_scalesim.py`` only; flexsa itself never needs SCALE-Sim.
Two compatibility details:

* SCALE-Sim 3.0.0 calls ``int(max(list_of_1_element_arrays))``, which NumPy >= 2.4 rejects;
  its ``max`` is patched (module global of ``double_buffered_scratchpad_mem``) to take the
  same maximum through numpy, which changes no value.
* it needs a layout CSV even with custom layouts off; an empty one is written.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import tempfile
from pathlib import Path
from typing import Any

from flexsa.errors import FlexsaError
from flexsa.workloads.scalesim_io import (
    ScaleSimConfig,
    TopologyLayer,
    format_scalesim_config,
    format_topology,
)

COMPUTE_REPORT_FIELDS: tuple[str, ...] = (
    "overall_cycles", "cycles", "stall_cycles", "pe_utilization_pct", "mapping_efficiency_pct",
    "compute_utilization_pct")


def _numpy_max(*args: Any, **kwargs: Any) -> Any:
    if len(args) == 1 and not kwargs:
        import numpy as np

        return np.max(np.asarray(args[0]))
    return builtins.max(*args, **kwargs)


def _load_scalesim() -> Any:
    try:
        import scalesim.memory.double_buffered_scratchpad_mem as scratchpad
        from scalesim.scale_sim import scalesim
    except ImportError:
        raise FlexsaError("SCALE-Sim is not installed; pip install scalesim==3.0.0 "
                          "(the dev extra)") from None
    scratchpad.max = _numpy_max
    return scalesim


def run_reference(config: ScaleSimConfig, layers: list[TopologyLayer],
                  form: str = "conv") -> list[dict[str, float]]:
    """SCALE-Sim's COMPUTE_REPORT items for every layer it runs (percentages as it reports).

    ``form="gemm"`` writes the GEMM topology form and runs SCALE-Sim with GEMM inputs.
    Depthwise (``DP``) rows come back as one entry per channel, as SCALE-Sim runs them.
    """
    scalesim = _load_scalesim()
    with tempfile.TemporaryDirectory(prefix="flexsa-scalesim-") as tmp:
        work = Path(tmp)
        (work / "scale.cfg").write_text(format_scalesim_config(config))
        (work / "topology.csv").write_text(format_topology(layers, form))
        (work / "layout.csv").write_text("Layer name,\n")
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(save_disk_space=True, verbose=False,
                           config=str(work / "scale.cfg"),
                           topology=str(work / "topology.csv"),
                           layout=str(work / "layout.csv"),
                           input_type_gemm=form == "gemm")
            sim.run_scale(top_path=str(work / "out"))
            reports = [layer.get_compute_report_items()
                       for layer in sim.runner.single_layer_sim_object_list]
    return [dict(zip(COMPUTE_REPORT_FIELDS, items, strict=True)) for items in reports]
