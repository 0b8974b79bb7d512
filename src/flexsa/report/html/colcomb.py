"""``report.html`` of ``flexsa reproduce colcomb`` (shared page builder)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flexsa.report.html.page import Figure, Page, Section, Table, claims_table, write_page

INTRO = ("Produced by flexsa reproduce colcomb: each network trained briefly on the CPU, "
         "then column-combined (baseline: no combining; combine: alpha 8, no conflicts "
         "pruned; combine_prune: alpha 8, gamma 0.5) and costed on the bit-serial systolic "
         "array. Tables give three significant digits; summary.json holds every value.")
FIGURES = (
    ("colcomb_configs", "Configurations", "Utilization efficiency, array tiles, throughput "
     "and energy per sample of each network in the three configurations.",
     "Four grouped bar charts per network and configuration; values in the table below."),
    ("colcomb_alpha_sweep", "Alpha sweep", "Utilization, tiles and accuracy before "
     "retraining as the group size alpha grows (gamma 0.5, pretrained weights).",
     "Line charts of utilization, tiles and accuracy against alpha per network."),
    ("colcomb_gamma_sweep", "Gamma sweep", "The same as gamma (conflicts pruned per group) "
     "grows (alpha 8).", "Line charts of utilization, tiles and accuracy against gamma."),
    ("colcomb_retrain_fraction", "Retraining with less data", "Test accuracy after "
     "retraining the combined network, and of training from scratch, on a fraction of the "
     "training data.", "Line chart of accuracy against the fraction of training data."),
)


def _figures(out: Path) -> dict[str, Figure]:
    found = {}
    for name, title, caption, alt in FIGURES:
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        if png.exists() or svg.exists():
            found[name] = Figure(name, title, caption, png if png.exists() else None,
                                 svg if svg.exists() else None, alt)
    return found


def _configs_table(summary: Mapping[str, Any]) -> Table:
    rows = []
    for net, configs in summary["networks"].items():
        for name, values in configs.items():
            ratio = (summary.get("ratios_vs_baseline") or {}).get(net, {}).get(name, {})
            energy = values.get("energy_per_sample")
            rows.append([f"{net} / {name}", values.get("utilization"), values.get("tiles"),
                         ratio.get("tiles_reduction_x"), values.get("throughput"),
                         ratio.get("throughput_x"),
                         None if energy is None else energy * 1e6,
                         ratio.get("energy_reduction_x"), values.get("accuracy"),
                         ratio.get("accuracy_delta")])
    return Table("configs", "Per network and configuration (ratios vs baseline beside)",
                 ["network / config", "utilization", "tiles", "tile reduction (x)",
                  "throughput (samples/s)", "throughput (x)", "energy / sample (µJ)",
                  "energy saving (x)", "accuracy", "accuracy change"], rows)


def _sweep_table(summary: Mapping[str, Any], kind: str) -> Table | None:
    rows = [[f"{net} / {kind} {r.get(kind)}", r.get("alpha"), r.get("gamma"),
             r.get("utilization"), r.get("tiles"), r.get("conflict_pruned_fraction"),
             r.get("accuracy_before_retraining")]
            for net, sweeps in (summary.get("sweeps") or {}).items()
            for r in (sweeps or {}).get(kind, [])]
    if not rows:
        return None
    return Table(f"{kind}-sweep", f"{kind.capitalize()} sweep",
                 ["network / point", "alpha", "gamma", "utilization", "tiles",
                  "conflict-pruned fraction", "accuracy before retraining"], rows)


def _fraction_table(summary: Mapping[str, Any]) -> Table | None:
    rows = [[f"{net} / {r.get('fraction')}", r.get("retrained"), r.get("scratch")]
            for net, entries in (summary.get("retrain_fraction") or {}).items()
            for r in entries]
    if not rows:
        return None
    return Table("retrain-fraction", "Accuracy by fraction of training data",
                 ["network / fraction", "retrained", "from scratch"], rows)


def _details_table(summary: Mapping[str, Any]) -> Table | None:
    details = summary.get("details") or {}
    if not details:
        return None
    return Table("networks", "Networks", ["network", "pretrained accuracy", "train samples",
                                          "input shape"],
                 [[net, d.get("pretrained_accuracy"), d.get("train_samples"),
                   "x".join(str(x) for x in d.get("input_shape") or [])]
                  for net, d in details.items()])


def build_page(summary: Mapping[str, Any], out: Path) -> Page:
    figs = _figures(out)

    def items(*entries: Any) -> list[Any]:
        return [e for e in entries if e is not None]

    claims = claims_table(summary.get("claims"))
    sections = [Section("Claims ledger", [claims])] if claims else []
    sections += [
        Section("Configurations", items(figs.get("colcomb_configs"), _configs_table(summary),
                                        _details_table(summary))),
        Section("Sweeps", items(figs.get("colcomb_alpha_sweep"), _sweep_table(summary, "alpha"),
                                figs.get("colcomb_gamma_sweep"),
                                _sweep_table(summary, "gamma"))),
    ]
    fraction = items(figs.get("colcomb_retrain_fraction"), _fraction_table(summary))
    if fraction:
        sections.append(Section("Retraining with less data", fraction))
    config = {k: summary.get(k) for k in ("tool", "version", "config")}
    return Page("Column-combining evaluation", INTRO, sections, (),
                summary.get("provenance") or {}, config)


def write_report(summary: Mapping[str, Any], out: Path) -> Path:
    return write_page(build_page(summary, out), out / "report.html")
