"""The one HTML page builder of every reproduction report (``report.html``).

A :class:`Page` is a title, an introduction, notes, :class:`Section` s of
:class:`Figure` s (PNG or SVG files, inlined as data URIs with alt text and a caption) and
:class:`Table` s (numbers formatted to three significant digits), the claims ledger
(``summary["claims"]``, any keys) and the provenance (date, command line, git commit, flexsa
version) with the full configuration. The output needs no other file.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;
border-bottom:1px solid #ddd}h3{font-size:1.05em;margin:1.4em 0 .4em}
figure{margin:1em 0 1.6em}figure img{max-width:100%;height:auto;display:block}
figcaption{font-size:.9em;color:#444;margin-top:.4em;max-width:60em}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0 1.2em}
caption{caption-side:top;text-align:left;font-weight:600;padding:.2em 0 .4em;
white-space:nowrap}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}tbody th{white-space:nowrap}thead th{vertical-align:bottom}
th:first-child,td:first-child{text-align:left}
td.text{text-align:left}
.scroll{overflow-x:auto}
pre{background:#f6f6f6;padding:.8em;overflow:auto;font-size:.8em;max-height:30em}
.note{color:#444;font-size:.92em}.prov{font-size:.85em;color:#333;background:#f6f8fa;
border:1px solid #e1e4e8;padding:.5em .8em;margin:.8em 0}
.prov dt{font-weight:600;float:left;clear:left;width:8em}.prov dd{margin:0 0 .15em 8.5em}
nav{font-size:.9em}nav a{margin-right:1em}
"""


@dataclass(frozen=True)
class Figure:
    """A written figure: its id, title, caption, files and alt text."""

    name: str
    title: str
    caption: str
    png: Path | None = None
    svg: Path | None = None
    alt: str = ""

    @property
    def alt_text(self) -> str:
        return self.alt or f"{self.title}. {self.caption}"


@dataclass(frozen=True)
class Table:
    """A table of values; numbers are shown with three significant digits."""

    name: str
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    items: Sequence[Figure | Table | str] = ()  # str: a paragraph of plain text


@dataclass(frozen=True)
class Page:
    title: str
    intro: str
    sections: Sequence[Section]
    notes: Sequence[str] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)


def fmt(value: Any, digits: int = 3) -> str:
    """A cell: numbers to ``digits`` significant digits (thousands separated), None as –."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if value == 0:
            return "0"
        magnitude = math.floor(math.log10(abs(value)))
        if magnitude >= digits + 3 or magnitude < -4:
            return f"{value:.{digits - 1}e}"
        places = digits - 1 - magnitude  # negative: round left of the decimal point
        return f"{round(value, places):,.{max(0, places)}f}"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str)
    return str(value)


def _img(figure: Figure) -> str:
    path = figure.svg if figure.svg is not None and figure.svg.exists() else figure.png
    if path is None or not path.exists():
        return f"<p class='note'>(figure file missing: {html.escape(figure.name)})</p>"
    kind = "svg+xml" if path.suffix == ".svg" else "png"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<img src='data:image/{kind};base64,{data}' alt='{html.escape(figure.alt_text)}' "
            "loading='lazy'>")


def figure_html(figure: Figure) -> str:
    return (f"<figure id='fig-{html.escape(figure.name)}'><h3>{html.escape(figure.title)}</h3>"
            f"{_img(figure)}<figcaption>{html.escape(figure.caption)}</figcaption></figure>")


def table_html(table: Table) -> str:
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for i, value in enumerate(row):
            text = html.escape(fmt(value))
            numeric = value is None or (isinstance(value, int | float)
                                        and not isinstance(value, bool))
            cls = "" if numeric or i == 0 else " class='text'"
            cells.append(f"<th scope='row'>{text}</th>" if i == 0 else f"<td{cls}>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption = (f"<p class='note'>{html.escape(table.caption)}</p>" if table.caption else "")
    return (f"<div class='scroll'><table id='tab-{html.escape(table.name)}'>"
            f"<caption>{html.escape(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>{caption}")


def claims_table(claims: Any) -> Table | None:
    """The claims ledger (a list of dicts, any keys) as a table; None if absent."""
    if not isinstance(claims, Sequence) or isinstance(claims, str) or not claims:
        return None
    rows = [c for c in claims if isinstance(c, Mapping)]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return Table("claims", "Claims ledger", columns,
                 [[row.get(k) for k in columns] for row in rows],
                 "Each published claim, what this toolkit measures for it and the verdict "
                 "(from summary.json's \"claims\").")


def _provenance_html(prov: Mapping[str, Any], version: str) -> str:
    items = {"flexsa version": version, "date (UTC)": prov.get("date"),
             "command": prov.get("command"), "git commit": prov.get("git_commit"),
             "host": prov.get("host"), "run time": prov.get("host_seconds")}
    rows = []
    for key, value in items.items():
        if value in (None, ""):
            continue
        text = f"{fmt(value)} s" if key == "run time" else str(value)
        shown = f"<code>{html.escape(text)}</code>" if key in ("command", "git commit") \
            else html.escape(text)
        rows.append(f"<dt>{html.escape(key)}</dt><dd>{shown}</dd>")
    return f"<dl class='prov' id='provenance'>{''.join(rows)}</dl>"


def render_page(page: Page) -> str:
    """The page as one HTML string that needs no other file."""
    from flexsa import __version__

    nav = "".join(f"<a href='#sec-{i}'>{html.escape(s.title)}</a>"
                  for i, s in enumerate(page.sections))
    body = [f"<h1>{html.escape(page.title)}</h1>",
            _provenance_html(page.provenance, __version__),
            f"<p class='note'>{html.escape(page.intro)}</p>",
            *(f"<p class='note'><b>Note.</b> {html.escape(n)}</p>" for n in page.notes),
            f"<nav>{nav}</nav>"]
    for i, section in enumerate(page.sections):
        body.append(f"<section id='sec-{i}'><h2>{html.escape(section.title)}</h2>")
        for item in section.items:
            if isinstance(item, Figure):
                body.append(figure_html(item))
            elif isinstance(item, Table):
                body.append(table_html(item))
            else:
                body.append(f"<p class='note'>{html.escape(item)}</p>")
        body.append("</section>")
    if page.config:
        config = html.escape(json.dumps(page.config, indent=2, default=str))
        body.append("<section id='configuration'><h2>Configuration used</h2><details>"
                    f"<summary>full configuration (JSON)</summary><pre>{config}</pre>"
                    "</details></section>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(page.title)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_page(page: Page, path: Path) -> Path:
    """Write the page atomically (readers see the old or the new file)."""
    import os

    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_page(page), encoding="utf-8")
    os.replace(tmp, path)
    return path
