"""The CLI must not import heavy libraries at start-up (only the commands that need them)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "matplotlib", "torch", "onnx", "dask", "scipy", "sklearn")


def test_cli_import_stays_light() -> None:
    code = (
        "import sys, flexsa.cli\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
