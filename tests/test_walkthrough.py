"""CI runs the walkthrough in docs/ so it never goes stale."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest


def test_walkthrough_runs(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "walkthrough.py"
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "reproduces A @ B exactly" in out and "energy (uJ)" in out
