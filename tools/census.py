"""Size discipline: no file over 500 lines, no function over 60 (``make lint`` runs this).

``python tools/census.py`` prints every violation under ``src/`` and exits 1 if there is one
that ``ALLOWED`` does not list. ``ALLOWED`` only shrinks: it names today's known violators
with their current size, so they cannot grow and new code cannot join them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60
ROOT = Path(__file__).resolve().parent.parent / "src"

# path (relative to src/) or "path:function" -> current size; shrink, never grow.
ALLOWED: dict[str, int] = {}


def function_sizes(path: Path) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function and method, decorators excluded."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    sizes: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                sizes.append((name, (child.end_lineno or child.lineno) - child.lineno + 1))
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return sizes


def violations(root: Path = ROOT) -> list[tuple[str, int, int]]:
    """(what, size, limit) for every file or function over its limit."""
    found: list[tuple[str, int, int]] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > MAX_FILE_LINES:
            found.append((rel, n_lines, MAX_FILE_LINES))
        for name, size in function_sizes(path):
            if size > MAX_FUNCTION_LINES:
                found.append((f"{rel}:{name}", size, MAX_FUNCTION_LINES))
    return found


def main() -> int:
    failed = False
    for what, size, limit in violations():
        allowed = ALLOWED.get(what)
        ok = allowed is not None and size <= allowed
        failed |= not ok
        print(f"{'allowed' if ok else 'TOO BIG'}  {what}: {size} lines (limit {limit}"
              f"{f', allowed {allowed}' if allowed else ''})")
    stale = set(ALLOWED) - {v[0] for v in violations()}
    for what in sorted(stale):
        print(f"stale allowance (now within the limit; remove it): {what}")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
