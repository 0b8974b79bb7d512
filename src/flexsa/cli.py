"""The ``flexsa`` command line. Thin: every command lives in :mod:`flexsa.commands`.

Heavy libraries (pandas, matplotlib, torch, onnx) are imported only inside the commands
that need them, and :func:`main` registers only the command group that ``argv`` names (all of
them for ``--help`` or an unknown name), so start-up stays fast
(``python bench/bench_startup.py``).

Errors: every user error (a :class:`FlexsaError`, a click usage error, an unreadable path)
is ONE line on stderr starting with ``error:`` and exit code 2, never a traceback. This is
done in :class:`FlexsaGroup.main`, so the console script and in-process test runners
(``typer.testing.CliRunner``) behave the same (docs/errors-and-limits.md).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

# numpy's OpenBLAS starts one worker thread per core when it loads, which costs ~50 ms of CPU
# at every start on a 2-core box. flexsa's numpy work is integer and element-wise (no BLAS)
# and its parallelism is worker processes, so the CLI asks for one BLAS thread unless the
# user chose otherwise (set OPENBLAS_NUM_THREADS to override).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402

from flexsa import __version__  # noqa: E402
from flexsa.commands import COMMAND_MODULES, register_all, register_one
from flexsa.commands.clickcompat import ABORTS, ClickException, NoArgsIsHelpError
from flexsa.commands.coercion import install as _install_light_coercion
from flexsa.errors import FlexsaError

_install_light_coercion()

HELP = ("Compile and simulate flexible (FlexSA), column-combined and sparse (Flexagon) "
        "accelerators for pruned and sparse deep-learning workloads.")


DEBUG_ENV = "FLEXSA_DEBUG"  # set to 1 to get the traceback of an unexpected error


def _fail(message: str, code: int = 2) -> NoReturn:
    text = " ".join(str(message).split())  # exactly one line
    print(f"error: {text}", file=sys.stderr)
    sys.exit(code)


def _usage_line(err: ClickException) -> str:
    ctx = getattr(err, "ctx", None)
    where = f"{ctx.command_path}: " if ctx is not None else ""
    fix = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    return f"{where}{err.format_message()}{fix}"


def _os_line(err: OSError) -> str:
    name = f" {err.filename!r}" if err.filename else ""
    if isinstance(err, IsADirectoryError):
        return f"{name.strip()} is a directory; give a file"
    if isinstance(err, FileNotFoundError):
        return f"{name.strip()} not found; check the path"
    return f"cannot access{name}: {err.strerror or err}; check the path and its permissions"


class FlexsaGroup(TyperGroup):
    """The top-level group: runs non-standalone and maps every failure to one line."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             windows_expand_args: bool = True, **extra: Any) -> Any:
        from flexsa.commands.flags import install_duplicate_check

        install_duplicate_check(self)
        try:
            code = super().main(args=args, prog_name=prog_name or "flexsa",
                                complete_var=complete_var, standalone_mode=False,
                                windows_expand_args=windows_expand_args, **extra)
        except NoArgsIsHelpError as err:
            typer.echo(err.ctx.get_help())
            sys.exit(0)
        except ClickException as err:
            _fail(_usage_line(err), err.exit_code if err.exit_code != 1 else 2)
        except ABORTS:
            _fail("interrupted", 130)
        except FlexsaError as err:
            _fail(str(err))
        except OSError as err:  # an unwritable output directory, a missing input file, ...
            _fail(_os_line(err))
        except MemoryError:
            _fail("out of memory: the input is too large for this machine; use smaller sizes")
        except Exception as err:  # last resort: still one line (the fuzz tests forbid it)
            if os.environ.get(DEBUG_ENV):
                raise
            _fail(f"unexpected {type(err).__name__}: {err} (the input was not validated; "
                  f"please report it, {DEBUG_ENV}=1 shows the traceback)")
        sys.exit(code if isinstance(code, int) else 0)


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
    new = typer.Typer(name="flexsa", cls=FlexsaGroup, help=HELP, no_args_is_help=True,
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
    make_app(_command_of(args))(args=args, prog_name="flexsa")  # errors: FlexsaGroup.main


if __name__ == "__main__":  # pragma: no cover
    main()
