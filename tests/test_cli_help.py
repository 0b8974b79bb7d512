"""--version, and every command's help: complete sentences, required options shown as
required, -q and --json where the reproductions offer them, subcommands with their own help."""

from __future__ import annotations

import re

import pytest

from flexsa import __version__


def _paths() -> list[list[str]]:
    import typer.main

    from flexsa.cli import make_app

    def walk(command: object, prefix: list[str]) -> list[list[str]]:
        subs = getattr(command, "commands", None)
        if not subs:
            return [prefix]
        out = [prefix] if prefix else []
        for name, sub in subs.items():
            out += walk(sub, [*prefix, name])
        return out

    return walk(typer.main.get_command(make_app()), [])


PATHS = _paths()


def _help(args: list[str], capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> str:
    from flexsa.cli import main

    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from flexsa.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"flexsa {__version__}"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(PATHS) >= 25
    for path in PATHS:
        text = _help(path, capsys, monkeypatch)
        assert f"Usage: flexsa {' '.join(path)}" in text, path
        assert not re.search(r"default is\)|\(default\)|default:\s*\)", text), (path, text)
        assert "[default: -1]" not in text, path  # a sentinel shown as if it were a value


def test_sweep_subcommands_have_their_own_help(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    show = _help(["sweep", "show"], capsys, monkeypatch)
    assert "Show a sweep's rows" in show and "--parquet" in show and "--jobs" not in show
    run = _help(["sweep", "run"], capsys, monkeypatch)
    assert "--jobs" in run and "--parquet" not in run


def test_quiet_and_json_are_consistent(capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for path in PATHS:
        text = _help(path, capsys, monkeypatch)
        if "--quiet" in text:
            assert re.search(r"--quiet\s+-q", text), path
    for what in ("flexsa", "flexagon", "colcomb"):
        text = _help(["reproduce", what], capsys, monkeypatch)
        assert "--json" in text and re.search(r"--quiet\s+-q", text), what


def test_simulate_gemm_imports_neither_pydantic_nor_other_commands() -> None:
    import subprocess
    import sys

    code = ("import sys\nfrom flexsa.cli import main\ntry:\n"
            "    main(['simulate', '--arch', '1G1C', '--gemm', '64,64,64'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('pydantic', "
            "'flexsa.commands.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()[-1]
    # clickcompat and flags: the one-line error handling and flag checks (issue 15), light
    assert out == ("['flexsa.commands.clickcompat', 'flexsa.commands.coercion', "
                   "'flexsa.commands.flags', 'flexsa.commands.simulate']")
