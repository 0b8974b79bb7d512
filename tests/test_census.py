"""Size discipline (tools/census.py): no file over 500 lines, no function over 60."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load_tool


def test_no_new_oversized_files_or_functions():
    census = load_tool("census")
    found = {what: size for what, size, _ in census.violations()}
    grown = {w: s for w, s in found.items() if s > census.ALLOWED.get(w, 0)}
    stale = sorted(set(census.ALLOWED) - set(found))
    assert not grown, f"over the size limits (split them): {grown}"
    assert not stale, f"now within the limits, remove from ALLOWED in tools/census.py: {stale}"


def test_census_counts_functions_and_files(tmp_path: Path):
    census = load_tool("census")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(61))
    (pkg / "big.py").write_text(f"class A:\n    def f(self):\n{body.replace('    ', '        ')}\n"
                                + "\n" * 500)
    (pkg / "small.py").write_text("def g():\n    return 1\n")
    found = {what: size for what, size, _ in census.violations(tmp_path)}
    assert set(found) == {"pkg/big.py", "pkg/big.py:A.f"}
    assert found["pkg/big.py:A.f"] == 62 and found["pkg/big.py"] > 500
