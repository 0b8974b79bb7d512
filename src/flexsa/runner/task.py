"""A task: one unit of work, identified by the digest of its full config."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


def canonical_json(value: Any) -> str:
    """The config as sorted, compact JSON (the text its digest is taken of)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(value: Any, length: int = 24) -> str:
    """A stable hex digest of a JSON-able value (sha256 of its canonical JSON)."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Task:
    """One task of a run: a JSON-able ``config`` (everything that decides its result),
    its position in the run's order and a short label for progress bars.

    ``task_id`` is the digest of ``config``: the same work always has the same id, so a
    resumed run skips exactly the tasks already stored. ``affinity`` names work that shares
    per-process caches (scheduling only: never part of the result).
    """

    config: dict[str, Any]
    index: int = 0
    label: str = ""
    task_id: str = field(default="", compare=False)
    affinity: str = field(default="", compare=False)  # tasks sharing caches (AffinityPool)

    def __post_init__(self) -> None:
        if not self.task_id:
            object.__setattr__(self, "task_id", digest(self.config))
