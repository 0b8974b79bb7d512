"""Shared test helpers."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m flexsa ARGS`` in a subprocess (exercises exit codes and stderr)."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "flexsa", *args], capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.fixture
def cli():
    return run_cli
