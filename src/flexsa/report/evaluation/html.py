"""A self-contained ``report.html``: inline SVG figures, captions, tables and the config."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from flexsa.report.evaluation.figures import Figure

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto}
figcaption{font-size:.9em;color:#444;margin-top:.4em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em;max-height:30em}
.note{color:#555;font-size:.9em}
"""

METRICS: tuple[tuple[str, str], ...] = (
    ("ideal_pe_utilization", "PE utilization, ideal memory"),
    ("hbm2_pe_utilization", "PE utilization, HBM2"),
    ("hbm2_speedup_vs_1G1C", "speedup over 1G1C, HBM2"),
    ("gbuf_to_lbuf_traffic_vs_1G1C", "GBUF→LBUF traffic vs 1G1C"),
    ("end_to_end_speedup_vs_1G1C", "end-to-end speedup (with SIMD layers)"),
    ("ideal_pe_utilization_excluding_depthwise",
     "PE utilization without the depthwise layers, ideal memory"),
)


def _svg_image(figure: Figure) -> str:
    """The SVG embedded as a data URI (no clash of element ids between figures)."""
    data = base64.b64encode(figure.svg.read_bytes()).decode("ascii")
    return (f"<img src='data:image/svg+xml;base64,{data}' "
            f"alt='{html.escape(figure.title)}'>")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "–" if value is None else html.escape(str(value))


def _metric_table(runs: Mapping[str, Any], metric: str, configs: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in configs)
    rows = []
    for run, data in runs.items():
        values = data.get(metric) or {}
        if not any(v is not None for v in values.values()):
            continue
        cells = "".join(f"<td>{_fmt(values.get(c))}</td>" for c in configs)
        rows.append(f"<tr><td>{html.escape(run)}</td>{cells}</tr>")
    return f"<table><tr><th>run</th>{head}</tr>{''.join(rows)}</table>"


def _tables(summary: Mapping[str, Any], configs: Sequence[str]) -> str:
    runs = summary.get("runs") or {}
    if not runs:
        return "<p class='note'>No main-study runs selected.</p>"
    parts = []
    for metric, title in METRICS:
        table = _metric_table(runs, metric, configs)
        if "<td>" in table:
            parts.append(f"<h3>{html.escape(title)}</h3>{table}")
    return "".join(parts)


def _figure_html(figure: Figure) -> str:
    return (f"<figure id='{figure.name}'><h3>{html.escape(figure.title)}</h3>"
            f"{_svg_image(figure)}<figcaption>{html.escape(figure.caption)}</figcaption>"
            "</figure>")


def _extra_sections(summary: Mapping[str, Any]) -> str:
    parts = []
    for key, title in (("core_splitting", "Core-splitting study (mean over pruned ResNet50)"),
                       ("area_vs_1x128", "Area relative to one 128x128 core"),
                       ("resnet50_1G1C_ideal_utilization", "ResNet50 on 1G1C, ideal memory"),
                       ("beyond_paper", "Beyond the paper: search tiler and upper bound")):
        if summary.get(key):
            body = html.escape(json.dumps(summary[key], indent=2))
            parts.append(f"<h3>{html.escape(title)}</h3><pre>{body}</pre>")
    return "".join(parts)


def claims_table(summary: Mapping[str, Any]) -> str:
    """The claims ledger (``summary["claims"]``) as an HTML table ('' if absent)."""
    rows = summary.get("claims") or []
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("claim", "published", "ours", "status"))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(k, '')))}</td>"
                         for k in ("claim", "published", "ours", "status")) + "</tr>"
        for row in rows)
    return (f"<h2>Claims ledger</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def render_report(summary: Mapping[str, Any], figures: Sequence[Figure],
                  configs: Sequence[str]) -> str:
    """The report as one HTML string that needs no other file."""
    config = {k: summary.get(k) for k in ("tool", "version", "config")}
    body = [
        "<h1>FlexSA evaluation</h1>",
        "<p class='note'>Produced by <code>flexsa reproduce flexsa</code> "
        f"(flexsa {html.escape(str(summary.get('version', '')))}). Every number is an "
        "average over the whole training run, each pruning interval weighted by its epochs. "
        "Ratios are taken of whole-run totals.</p>",
        *(f"<p class='note'><b>Note.</b> {html.escape(n)}</p>" for n in summary.get("notes", [])),
        claims_table(summary),
        "<h2>Figures</h2>", *(_figure_html(f) for f in figures),
        "<h2>Summary tables</h2>", _tables(summary, configs), _extra_sections(summary),
        "<h2>Configuration used</h2>",
        f"<pre>{html.escape(json.dumps(config, indent=2, default=str))}</pre>",
    ]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>FlexSA evaluation</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
