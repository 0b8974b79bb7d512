"""Layer order: a package of ``flexsa`` imports only packages below it (``make lint`` runs this).

``python tools/layers.py`` reads every module under ``src/flexsa`` with :mod:`ast` and checks
each import of a ``flexsa`` module - at module level AND inside functions (a lazy import is
still a dependency) - against :data:`LAYERS`, lowest first::

    base (errors, validation, paths, provenance) < workloads < arch < compiler < sim < energy
    < pipeline < runner < report < {sparse, packing, rtl, sweep, studies} < api < commands < cli

Imports inside one package (``flexsa.sim.fast`` -> ``flexsa.sim.result``) and among the base
modules are allowed. Packages of one tier in braces are peers: they must not import each
other. ``importlib.import_module("flexsa.x")`` with a literal name counts as an import too.

It prints every violation and exits 1 if one is not listed in :data:`ALLOWED`, or if an
entry of :data:`ALLOWED` no longer occurs (remove it). ``ALLOWED`` only shrinks.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "flexsa"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "validation", "paths", "provenance"),
    ("workloads",),
    ("arch",),
    ("compiler",),
    ("sim",),
    ("energy",),
    ("pipeline",),
    ("runner",),
    ("report",),
    ("sparse", "packing", "rtl", "sweeps", "studies"),
    ("api",),
    ("commands",),
    ("cli",),
)
BASE = LAYERS[0]
# the root package's own modules: the package facade and ``python -m flexsa`` sit on top
TOP = ("__init__", "__main__")
TIER: dict[str, int] = {name: i for i, tier in enumerate(LAYERS) for name in tier}
TIER.update({name: len(LAYERS) for name in TOP})

# "importing module -> imported package": known violations, each with its reason. Shrink
# only; it is empty.
ALLOWED: dict[str, str] = {}


def package_of(rel: Path) -> str:
    """The layer name of a module path relative to ``src/flexsa`` (``sim/fast.py`` -> sim)."""
    return rel.parts[0].removesuffix(".py")


def _imported(node: ast.AST, known: set[str]) -> Iterator[str]:
    """The flexsa packages (first component after ``flexsa.``) one AST node imports."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "flexsa":  # from flexsa import sim / __version__ / simulate
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
                elif alias.name != "__version__":  # the root's lazy API (flexsa.simulate)
                    yield "api"
            return
        names = [node.module]
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
          and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
          and node.args and isinstance(node.args[0], ast.Constant)
          and isinstance(node.args[0].value, str)):
        names = [node.args[0].value]
    for name in names:
        parts = name.split(".")
        if parts[0] == "flexsa" and len(parts) > 1:
            yield parts[1]


def violations(root: Path = ROOT) -> list[tuple[str, int, str]]:
    """(importing module, line, imported package) for every import against the order."""
    known = {p.name.removesuffix(".py") for p in root.iterdir()
             if p.suffix == ".py" or (p / "__init__.py").exists()}
    found: list[tuple[str, int, str]] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        own = package_of(rel)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _imported(node, known):
                if target == own or (own in BASE and target in BASE):
                    continue
                low, high = TIER.get(own), TIER.get(target)
                if low is None or high is None or high >= low:
                    found.append((rel.as_posix(), getattr(node, "lineno", 0), target))
    return found


def main() -> int:
    found = violations()
    seen = set()
    failed = False
    for module, line, target in found:
        key = f"{module} -> {target}"
        seen.add(key)
        known = key in ALLOWED
        failed |= not known
        where = "unknown layer" if target not in TIER or package_of(Path(module)) not in TIER \
            else "imports upward or a peer"
        print(f"{'allowed' if known else 'LAYER  '}  {module}:{line} {where}: flexsa.{target}"
              f"{f'  ({ALLOWED[key]})' if known else ''}")
    stale = sorted(set(ALLOWED) - seen)
    for key in stale:
        print(f"stale allowance (no longer occurs; remove it): {key}")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
