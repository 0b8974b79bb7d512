"""The ``flexsa`` command line. Thin: every command lives in :mod:`flexsa.commands`.

Heavy libraries (pandas, matplotlib, torch, onnx) are imported only inside the commands
that need them, so start-up stays fast.
"""

from __future__ import annotations

import sys

import typer

from flexsa.commands import register_all
from flexsa.errors import FlexsaError

app = typer.Typer(
    name="flexsa",
    help="Compile and simulate flexible (FlexSA), column-combined and sparse (Flexagon) "
    "accelerators for pruned and sparse deep-learning workloads.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
register_all(app)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    try:
        app(args=argv, prog_name="flexsa")
    except FlexsaError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:  # an unwritable output directory, a missing input file, ...
        where = f" {err.filename!r}" if err.filename else ""
        print(f"error: cannot access{where}: {err.strerror or err}; check the path and its "
              "permissions", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
