"""The three report.html pages: every figure and table is there, with alt text and
provenance, numbers to three significant digits and the claims ledger (any keys)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from flexsa.report.html.page import Figure, Page, Section, Table, claims_table, fmt, render_page
from tests.eval_fakes import FakeBackend

SVG = ("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>"
       "<rect width='10' height='10'/></svg>")
CLAIMS = [{"claim": "FlexSA is 1.7x faster", "paper": 1.7, "measured": 1.234567,
           "verdict": "differs", "why": "see docs/evaluation.md"},
          {"claim": "traffic", "measured": 0.5, "extra_key": "shown too"}]


class Parsed(HTMLParser):
    """Figures (id -> img alt), tables (id -> header and cells), provenance and sections."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.figures: dict[str, str | None] = {}
        self.tables: dict[str, list[str]] = {}
        self.ids: set[str] = set()
        self._figure: str | None = None
        self._table: str | None = None
        self._cell = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "figure":
            self._figure = str(a["id"])
            self.figures[self._figure] = None
        elif tag == "img" and self._figure is not None:
            assert str(a.get("src", "")).startswith("data:image/")
            self.figures[self._figure] = a.get("alt")
        elif tag == "table":
            self._table = str(a["id"])
            self.tables[self._table] = []
        elif tag in ("td", "th") and self._table is not None:
            self._cell = True
            self.tables[self._table].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._figure = None
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell and self._table is not None:
            self.tables[self._table][-1] += data


def _check(page: Parsed, figures: set[str], tables: set[str]) -> None:
    assert {f"fig-{n}" for n in figures} <= set(page.figures), page.figures
    assert all(alt and len(alt) > 20 for alt in page.figures.values()), page.figures
    assert {f"tab-{n}" for n in tables} <= set(page.tables), page.tables
    assert "provenance" in page.ids
    for cells in page.tables.values():  # no raw 16-digit floats
        assert not any(len(c.replace(",", "")) > 12 and c.replace(".", "").isdigit()
                       for c in cells), cells


def test_fmt_three_significant_digits() -> None:
    assert fmt(0.807151197273963) == "0.807"
    assert fmt(1.0585627758481642) == "1.06"
    assert fmt(1570.4) == "1,570"
    assert fmt(12345678) == "12,345,678"
    assert fmt(3.2e-7) == "3.20e-07"
    assert fmt(None) == "–" and fmt(float("nan")) == "–" and fmt(0.0) == "0"


def test_claims_ledger_renders_any_keys() -> None:
    table = claims_table(CLAIMS)
    assert table is not None
    assert list(table.columns) == ["claim", "paper", "measured", "verdict", "why", "extra_key"]
    page = Parsed(render_page(Page("t", "i", [Section("Claims ledger", [table])])))
    cells = page.tables["tab-claims"]
    assert "1.23" in cells and "shown too" in cells and "differs" in cells
    assert claims_table(None) is None and claims_table([]) is None


@pytest.mark.slow
def test_flexsa_report_has_every_figure_and_table(tmp_path: Path) -> None:
    from flexsa.report.evaluation.html import render_report
    from flexsa.report.evaluation.matrix import EvalSettings
    from flexsa.studies.flexsa import reproduce, stored

    settings = EvalSettings(models=("resnet50",), studies=("main",))
    outcome = reproduce(settings, tmp_path, FakeBackend(), progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["provenance"]) >= {"date", "command", "git_commit"}
    names = {p.stem for p in outcome.figures}
    assert {"utilization", "speedup", "traffic", "energy", "modes", "intervals"} <= names
    page = Parsed((tmp_path / "report.html").read_text())
    _check(page, names, {"performance", "traffic-energy", "modes"})
    # absolute values beside the ratios: simulated ms per iteration next to the speedup
    header = page.tables["tab-performance"][:7]
    assert "GEMM time / iter., HBM2 (ms)" in header and "speedup vs 1G1C (HBM2)" in header
    # the claims ledger appears when summary.json has one
    figures = [Figure(n, n, "caption", svg=tmp_path / "figures" / f"{n}.svg") for n in names]
    records = list(stored(tmp_path)[0].values())
    with_claims = Parsed(render_report({**summary, "claims": CLAIMS}, figures,
                                       settings.main_configs, records))
    assert "tab-claims" in with_claims.tables


def _figures(out: Path, names: tuple[str, ...], suffix: str = ".svg") -> None:
    for name in names:
        (out / f"{name}{suffix}").write_text(SVG)


def test_flexagon_page(tmp_path: Path) -> None:
    from flexsa.report.html.flexagon import write_report

    designs = ("sigma_like", "sparch_like", "gamma_like", "flexagon")
    model = {"cycles": dict(zip(designs, (700, 120, 300, 100), strict=True)),
             "speedup": {"vs_sigma_like": 7.0, "vs_sparch_like": 1.2, "vs_gamma_like": 3.0},
             "best_dataflow_per_layer": ["OP_M", "Gust_M"], "layers": 2,
             "phase_cycles": {d: {"multiply": 90, "merge": 10} for d in designs}}
    summary = {"models": {"Alexnet": model}, "geomean_speedup": model["speedup"],
               "predictor": {"matches_oracle": 2, "layers": 2, "match_rate": 1.0},
               "area_power": {d: {"total": {"area_mm2": 2.0, "power_mw": 200.0}}
                              for d in designs},
               "perf_per_area": {d: {"area_mm2": 2.0, "relative_performance": 0.5,
                                     "perf_per_area_vs_flexagon": 0.5} for d in designs},
               "claims": CLAIMS, "provenance": {"date": "2026-01-01T00:00:00Z"}}
    names = ("speedup", "phases", "best_dataflow", "perf_per_area")
    _figures(tmp_path, names)
    page = Parsed(write_report(summary, tmp_path).read_text())
    _check(page, set(names), {"speedup", "phases", "best-dataflow", "perf-per-area",
                              "area-power", "predictor", "claims"})
    assert "7.00" in page.tables["tab-speedup"] and "700" in page.tables["tab-speedup"]


def test_colcomb_page(tmp_path: Path) -> None:
    from flexsa.report.html.colcomb import write_report

    values = {"utilization": 0.5, "tiles": 10, "throughput": 1234.5678,
              "energy_per_sample": 4.0e-7, "accuracy": 0.9}
    point = {"alpha": 8, "gamma": 0.5, "utilization": 0.8, "tiles": 5,
             "conflict_pruned_fraction": 0.1, "accuracy_before_retraining": 0.5}
    summary = {"networks": {"lenet5": {"baseline": values, "combine_prune": values}},
               "ratios_vs_baseline": {"lenet5": {"combine_prune": {"throughput_x": 2.0}}},
               "details": {"lenet5": {"pretrained_accuracy": 0.7, "train_samples": 100,
                                      "input_shape": [1, 28, 28]}},
               "sweeps": {"lenet5": {"alpha": [point], "gamma": [point]}},
               "retrain_fraction": {"lenet5": [{"fraction": 0.1, "retrained": 0.8,
                                                "scratch": 0.5}]}}
    names = ("colcomb_configs", "colcomb_alpha_sweep", "colcomb_gamma_sweep",
             "colcomb_retrain_fraction")
    _figures(tmp_path, names, ".png")
    page = Parsed(write_report(summary, tmp_path).read_text())
    _check(page, set(names), {"configs", "networks", "alpha-sweep", "gamma-sweep",
                              "retrain-fraction"})
    assert "1,230" in page.tables["tab-configs"] and "0.400" in page.tables["tab-configs"]


def test_table_cells_render() -> None:
    html = render_page(Page("t", "i", [Section("s", [Table("x", "X", ["a", "b"],
                                                           [["r", 1 / 3]])])]))
    assert Parsed(html).tables["tab-x"] == ["a", "b", "r", "0.333"]
