"""Terminal tables that never break a number or a word, at any width.

Each column gets at least the width of its longest number or word; when the terminal is
too narrow for every column at that width, columns are dropped (the ones in ``drop_first``
first, then from the right; the first column stays) and the caption names them. Numbers are
never wrapped; text wraps between words only. Without a terminal (a pipe, a file) the width
is ``$COLUMNS`` or 200.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+(e[-+]?\d+)?\s*(%|x|s|ms)?$", re.IGNORECASE)
PIPE_WIDTH = 200


def cell_text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def is_numeric(cells: Iterable[str]) -> bool:
    """A column of numbers (thousands separators, a trailing %/x/s allowed; blanks ignored)."""
    shown = [c.strip() for c in cells if c.strip() not in ("", "-", "–")]
    return bool(shown) and all(_NUMBER.match(c) for c in shown)


def _longest_word(texts: Iterable[str]) -> int:
    return max((len(word) for text in texts for word in text.split()), default=1)


def fit_columns(widths: Sequence[int], width: int, drop_first: Sequence[int] = ()) -> list[int]:
    """Indices of the columns kept so that the table (rich's default box) fits ``width``."""
    kept = list(range(len(widths)))
    order = [i for i in drop_first if 0 < i < len(widths)]
    order += [i for i in reversed(range(1, len(widths))) if i not in order]

    def needed() -> int:
        return sum(widths[i] + 3 for i in kept) + 1  # padding 1+1 and one border per column

    for index in order:
        if needed() <= width:
            break
        kept.remove(index)
    return kept


def share_spare(minimum: Sequence[int], desired: Sequence[int], spare: int) -> list[int]:
    """Column widths: each at least its minimum, the spare width handed out one character
    at a time to the columns still short of their desired width."""
    widths = list(minimum)
    while spare > 0:
        short = [i for i, w in enumerate(widths) if w < desired[i]]
        if not short:
            break
        for i in short[:spare]:
            widths[i] += 1
        spare -= min(spare, len(short))
    return widths


def console_width() -> int:
    from rich.console import Console

    console = Console()
    if console.is_terminal or "COLUMNS" in os.environ:
        return console.width
    return PIPE_WIDTH


def print_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                footer: Sequence[Any] | None = None, drop_first: Sequence[str] = (),
                width: int | None = None) -> None:
    """Print a rich table (see the module docstring for how it fits the terminal)."""
    from rich.console import Console
    from rich.table import Table

    texts = [[cell_text(v) for v in row] for row in rows]
    foot = [cell_text(v) for v in footer] if footer is not None else None
    numeric, minimum, desired = [], [], []
    for i, name in enumerate(columns):
        cells = [row[i] for row in texts if i < len(row)] + ([foot[i]] if foot else [])
        numeric.append(is_numeric(cells))
        longest = max((len(c) for c in cells), default=1)
        minimum.append(max(longest if numeric[-1] else _longest_word(cells),
                           _longest_word([name])))
        desired.append(max(longest, len(name), minimum[-1]))
    total = width or console_width()
    kept = fit_columns(minimum, total, [list(columns).index(c) for c in drop_first
                                        if c in columns])
    hidden = [columns[i] for i in range(len(columns)) if i not in kept]
    caption = (f"hidden at this width: {', '.join(hidden)} (widen the terminal, or use "
               "--json/--csv where offered)") if hidden else None
    spare = total - sum(minimum[i] + 3 for i in kept) - 1
    widths = share_spare([minimum[i] for i in kept], [desired[i] for i in kept], max(0, spare))
    table = Table(title=title, caption=caption, show_footer=foot is not None)
    for i, col_width in zip(kept, widths, strict=True):
        table.add_column(columns[i], justify="right" if numeric[i] else "left",
                         no_wrap=numeric[i], width=col_width, overflow="fold",
                         footer=foot[i] if foot else "")
    for row in texts:
        table.add_row(*(row[i] if i < len(row) else "" for i in kept))
    Console(width=total).print(table)
