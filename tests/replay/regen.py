"""Regenerate replay data: ``python -m tests.replay.regen [CASE ...]`` (default: all).

Run it only in a commit that changes numbers on purpose, and say why in its message.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.replay.cases import CASES, canonical, dump, stored_path


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in CASES]
    if unknown:
        sys.exit(f"unknown replay case(s) {unknown}; known: {sorted(CASES)}")
    for name in names or sorted(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            record = canonical(CASES[name](Path(tmp)))
        stored_path(name).write_text(dump(record))
        print(f"wrote {stored_path(name)}")


if __name__ == "__main__":
    main(sys.argv[1:])
