"""The ``flexsa`` command line. Thin: every command lives in :mod:`flexsa.commands`.

Heavy libraries (pandas, matplotlib, torch, onnx) are imported only inside the commands
that need them, and :func:`main` registers only the command group that ``argv`` names (all of
them for ``--help`` or an unknown name), so start-up stays fast
(``python bench/bench_startup.py``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

# numpy's OpenBLAS starts one worker thread per core when it loads, which costs ~50 ms of CPU
# at every start on a 2-core box. flexsa's numpy work is integer and element-wise (no BLAS)
# and its parallelism is worker processes, so the CLI asks for one BLAS thread unless the
# user chose otherwise (set OPENBLAS_NUM_THREADS to override).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402

from flexsa import __version__  # noqa: E402
from flexsa.commands import COMMAND_MODULES, register_all, register_one
from flexsa.commands.coercion import install as _install_light_coercion
from flexsa.errors import FlexsaError

_install_light_coercion()

HELP = ("Compile and simulate flexible (FlexSA), column-combined and sparse (Flexagon) "
        "accelerators for pruned and sparse deep-learning workloads.")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"flexsa {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="print the flexsa version and exit"),
) -> None:
    """Compile and simulate flexible (FlexSA), column-combined and sparse (Flexagon)
    accelerators for pruned and sparse deep-learning workloads."""


def make_app(command: str | None = None) -> typer.Typer:
    """The CLI app with every command group, or only ``command``'s when it is one of ours."""
    new = typer.Typer(name="flexsa", help=HELP, no_args_is_help=True,
                      pretty_exceptions_enable=False, add_completion=False)
    new.callback()(_root)
    if command in COMMAND_MODULES:
        register_one(new, command)
    else:
        register_all(new)
    return new


def _command_of(argv: list[str]) -> str | None:
    """The first non-option word of ``argv`` (the command group), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word
        if word in ("--help", "-h", "--version"):
            return None
    return None


def __getattr__(name: str) -> Any:
    """``flexsa.cli.app``: the full app (built on first use)."""
    if name == "app":
        return make_app()
    raise AttributeError(f"module 'flexsa.cli' has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: user errors become one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        make_app(_command_of(args))(args=args, prog_name="flexsa")
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
