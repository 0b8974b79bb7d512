"""Replay tests: a refactor leaves these outputs bit-identical (see tests/replay/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.replay.cases import CASES, canonical, stored_path


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    """Paths where two JSON values differ (floats compared by their JSON text)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                out.append(f"{path}/{key}: {'added' if key in new else 'removed'}")
            else:
                out += differences(old[key], new[key], f"{path}/{key}")
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True))
                for d in differences(a, b, f"{path}[{i}]")]
    if json.dumps(old) != json.dumps(new):
        return [f"{path}: {json.dumps(old)[:80]} -> {json.dumps(new)[:80]}"]
    return []


SLOW = {"reproduce_flexsa", "reproduce_flexagon", "reproduce_colcomb"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW
                                  else n for n in sorted(CASES)])
def test_replay(name: str, tmp_path: Path) -> None:
    stored = json.loads(stored_path(name).read_text())
    record = json.loads(json.dumps(canonical(CASES[name](tmp_path))))
    diff = differences(stored, record)
    assert not diff, (f"replay case {name!r} changed in {len(diff)} places "
                      f"(regenerate with `python -m tests.replay.regen {name}` only if the "
                      "change is meant; say why in the commit):\n" + "\n".join(diff[:25]))
