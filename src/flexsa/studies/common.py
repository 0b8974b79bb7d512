"""What the studies share: the store's place in ``--out`` and a progress bar for the runner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flexsa.errors import ConfigError
from flexsa.runner import Progress

STORE = "runs.sqlite"   # every reproduction's store: DIR/runs.sqlite


def prepare_out_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written there."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path}: exists and is not a directory; choose a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".flexsa-write-test"
        probe.write_text("", encoding="utf-8")
        probe.unlink()
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise ConfigError(f"--out {path}: cannot write there ({reason}); "
                          "choose a writable directory") from None
    return path


@contextmanager
def progress_bar(title: str, enabled: bool = True) -> Iterator[Progress]:
    """A rich progress bar on stderr fed by the runner's ``(done, total, label)`` calls;
    it starts on the first call (after the runner forked its workers)."""
    if not enabled:
        yield lambda done, total, label: None
        return
    from rich.console import Console

    from flexsa.report.progress import make_progress

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
