"""Flag checks shared by the commands: options given twice, contradictory or ignored flags.

``given("batch")`` tells whether the user typed ``--batch`` (not just its default), so a
command can reject a flag that would be silently ignored::

    ignored_with("--gemm", "batch", "width_mult", "dgrad_form")
"""

from __future__ import annotations

from typing import Any

from flexsa.commands.clickcompat import ParameterSource, UsageError, get_current_context
from flexsa.errors import FlexsaError


def given(name: str) -> bool:
    """True if the parameter ``name`` (python name) came from the command line."""
    ctx = get_current_context(silent=True)
    if ctx is None:
        return False
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,
                                              ParameterSource.ENVIRONMENT)


def _flag(name: str) -> str:
    ctx = get_current_context(silent=True)
    if ctx is not None:
        for param in ctx.command.params:
            if param.name == name and param.opts:
                return max(param.opts, key=len)
    return "--" + name.replace("_", "-")


def ignored_with(reason: str, *names: str) -> None:
    """Reject any of ``names`` given on the command line: they do nothing when ``reason``."""
    for name in names:
        if given(name):
            raise FlexsaError(f"{_flag(name)} has no effect {reason}; remove it")


def exclusive(*names: str) -> None:
    """At most one of the flags ``names`` may be given."""
    chosen = [name for name in names if given(name)]
    if len(chosen) > 1:
        raise FlexsaError(f"give at most one of {', '.join(_flag(n) for n in names)}, "
                          f"not {' and '.join(_flag(n) for n in chosen)}")


def requires(name: str, other: str, present: bool) -> None:
    """``name`` given on the command line needs ``other`` (``present`` says if it is)."""
    if given(name) and not present:
        raise FlexsaError(f"{_flag(name)} applies only with {other}; add {other} or remove "
                          f"{_flag(name)}")


# --------------------------------------------------------------------------- duplicates
def _duplicate(command: Any, args: list[str]) -> str | None:
    """The first single-valued option given twice in ``args`` (``None`` if none)."""
    names: dict[str, str] = {}
    for param in command.params:
        if (getattr(param, "param_type_name", "") == "option"
                and not getattr(param, "multiple", False) and not getattr(param, "count", False)):
            for opt in (*param.opts, *param.secondary_opts):
                names[opt] = str(param.name)
    seen: dict[str, str] = {}
    skip = False
    for token in args:
        if token == "--":
            break
        if skip:
            skip = False
            continue
        opt = token.split("=", 1)[0] if token.startswith("--") else token
        if opt not in names:
            continue
        param_name = names[opt]
        if param_name in seen:
            both = opt if opt == seen[param_name] else f"{seen[param_name]} / {opt}"
            return f"{both} is given twice; give it once"
        seen[param_name] = opt
        param = next(p for p in command.params if p.name == param_name)
        skip = not getattr(param, "is_flag", False) and "=" not in token
    return None


class _DuplicateCheck:
    """Wraps ``parse_args`` of a click command to reject options given twice."""

    def __init__(self, command: Any) -> None:
        self.command = command
        self.parse_args = command.parse_args

    def __call__(self, ctx: Any, args: list[str]) -> list[str]:
        problem = _duplicate(self.command, list(args))
        if problem:
            raise UsageError(problem, ctx=ctx)
        return self.parse_args(ctx, args)


def install_duplicate_check(group: Any) -> None:
    """Install the duplicate-option check on every command below ``group`` (once)."""
    if getattr(group, "_flexsa_checked", False):
        return
    commands: list[Any] = [group]
    while commands:
        command = commands.pop()
        if isinstance(getattr(command, "commands", None), dict):
            commands.extend(command.commands.values())
        else:
            command.parse_args = _DuplicateCheck(command)
    group._flexsa_checked = True
