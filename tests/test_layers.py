"""Layer order (tools/layers.py): a package imports only packages below it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import load_tool


def test_no_import_against_the_layer_order():
    layers = load_tool("layers")
    found = {f"{module} -> {target}" for module, _, target in layers.violations()}
    new = sorted(found - set(layers.ALLOWED))
    stale = sorted(set(layers.ALLOWED) - found)
    assert not new, f"imports against the layer order (see tools/layers.py): {new}"
    assert not stale, f"no longer occur, remove from ALLOWED in tools/layers.py: {stale}"


def test_checker_sees_lazy_peer_and_root_imports(tmp_path: Path):
    layers = load_tool("layers")
    root = tmp_path / "flexsa"
    for package in ("workloads", "report", "sim", "sparse", "packing", "api"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "errors.py").write_text("")
    (root / "validation.py").write_text("from flexsa.errors import X\n")
    (root / "workloads" / "a.py").write_text(
        "import flexsa.workloads.b\n"
        "def f():\n    from flexsa.report.output import provenance\n")
    (root / "sim" / "b.py").write_text("from flexsa import workloads, __version__\n"
                                       "import flexsa.validation\n")
    (root / "sparse" / "c.py").write_text("from flexsa import packing, simulate\n")
    (root / "packing" / "d.py").write_text(
        "import importlib\nm = importlib.import_module('flexsa.sim.fast')\n"
        "n = importlib.import_module('flexsa.api')\n")
    found = {(module, target) for module, _, target in layers.violations(root)}
    assert found == {("workloads/a.py", "report"), ("sparse/c.py", "packing"),
                     ("sparse/c.py", "api"), ("packing/d.py", "api")}
