"""Provenance of a result: what produced it (deterministic) and when/how it was run (volatile).

:func:`provenance` gives the fields every result file carries - the tool, its version and the
full config - and is deterministic. :func:`run_provenance` gives the volatile part (date,
command line, git commit, host time); it goes into ``summary.json`` under the top-level key
``"provenance"`` ONLY (replay tests ignore that key; everything else in a summary is
deterministic) and into the report pages.

A base module: it imports nothing of flexsa but the package version, so every layer (the
pruning trajectories in ``workloads`` as well as ``report``) can stamp its results.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flexsa import __version__

PROVENANCE_KEY = "provenance"


def provenance(config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The fields every result file carries: tool version and the full config."""
    return {"tool": "flexsa", "version": __version__, "config": dict(config or {})}


def command_line(argv: list[str] | None = None) -> str:
    """The command as the user typed it (``flexsa ...`` for the console script/-m)."""
    import shlex

    args = list(sys.argv if argv is None else argv)
    if args and Path(args[0]).name in ("flexsa", "__main__.py", "cli.py"):
        return shlex.join(["flexsa", *args[1:]])
    return shlex.join(args)


def git_commit(where: Path | None = None) -> str | None:
    """The commit of the flexsa checkout (``+dirty`` with local changes), None if not git."""
    import subprocess  # the volatile helpers import what they need when called (start-up)

    path = where or Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def run_provenance(host_seconds: float | None = None,
                   argv: list[str] | None = None) -> dict[str, Any]:
    """Date (UTC), command line, git commit and (optionally) the host time of a run."""
    import datetime

    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    out: dict[str, Any] = {"date": now.isoformat().replace("+00:00", "Z"),
                           "command": command_line(argv), "git_commit": git_commit(),
                           "python": sys.version.split()[0]}
    if host_seconds is not None:
        out["host_seconds"] = round(host_seconds, 3)
    return out
