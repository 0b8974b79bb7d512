"""The commands' rich progress bar (rich is imported on use, so command modules stay light)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress


def make_progress(label: str = "{task.description}", *, rate_unit: str | None = None,
                  remaining_label: str | None = None, console: Console | None = None,
                  disable: bool = False) -> Progress:
    """A progress bar: ``label``, bar, done/total, [rate], elapsed, [label] time left.

    ``rate_unit`` adds a ``"{task.fields[rate]} <unit>/s"`` column (the task must carry a
    ``rate`` field); ``remaining_label`` is printed before the time left."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as RichProgress

    columns: list[ProgressColumn] = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
    if rate_unit is not None:
        columns.append(TextColumn(f"{{task.fields[rate]}} {rate_unit}/s"))
    columns.append(TimeElapsedColumn())
    if remaining_label is not None:
        columns.append(TextColumn(remaining_label))
    columns.append(TimeRemainingColumn())
    return RichProgress(*columns, console=console, disable=disable)


@contextmanager
def progress_bar(title: str, enabled: bool = True) -> Iterator[Callable[[int, int, str], None]]:
    """A rich progress bar on stderr fed by the runner's ``(done, total, label)`` calls;
    it starts on the first call (after the runner forked its workers)."""
    if not enabled:
        yield lambda done, total, label: None
        return
    from rich.console import Console

    bar = make_progress("[bold]{task.description}", console=Console(stderr=True))
    state: dict[str, Any] = {}

    def update(done: int, total: int, label: str) -> None:
        if "task" not in state:
            state["title"] = f"{title} (resumed, {done} done before)" if done else title
            bar.start()
            state["task"] = bar.add_task(state["title"], total=total)
        bar.update(state["task"], completed=done,
                   description=f"{state['title']} {label}".rstrip())

    try:
        yield update
    finally:
        if "task" in state:
            bar.stop()
