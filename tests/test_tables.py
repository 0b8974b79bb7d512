"""Terminal tables never break a number or a word, at any width (columns are dropped)."""

from __future__ import annotations

import re

import pytest

from flexsa.report.tables import fit_columns, is_numeric, print_table

BOX = "│┃┏┓┗┛┡┩└┘├┤┼╇╈━─┳┻┬┴╋═║"
WIDTHS = (40, 80, 200)
ROWS = [("conv1_with_a_long_name", 29392, 9161, 0.9566772, "a description with words"),
        ("fc", 1234567890, 12, 1.0, "unbreakable_identifier_word here")]
COLUMNS = ["layer", "macs", "cycles", "utilization", "description"]


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(f"[\\s{BOX}]+", text) if t]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_number_or_word_is_broken(width: int, capsys: pytest.CaptureFixture[str]) -> None:
    print_table("a table title", COLUMNS, ROWS, width=width)
    out = capsys.readouterr().out
    assert all(len(line) <= width for line in out.splitlines())
    known = {t for row in ROWS for v in row for t in _tokens(f"{v:,}" if isinstance(v, int)
                                                            else str(v))}
    known |= {t for c in COLUMNS for t in c.split()} | {"a", "table", "title"}
    caption = out[out.find("hidden at this width"):] if "hidden at" in out else ""
    body = out[:len(out) - len(caption)]
    assert set(_tokens(body)) <= known, set(_tokens(body)) - known
    if width == 200:
        assert "hidden" not in out and "1,234,567,890" in out
    if width == 40:
        assert "hidden at this width" in out and "conv1_with_a_long_name" in out


def test_fit_columns_drops_named_then_rightmost() -> None:
    assert fit_columns([10, 10, 10], 100) == [0, 1, 2]
    assert fit_columns([10, 10, 10], 30) == [0, 1]
    assert fit_columns([10, 10, 10], 30, drop_first=[1]) == [0, 2]
    assert fit_columns([50], 10) == [0]  # the first column always stays


def test_numeric_columns() -> None:
    assert is_numeric(["1,234", "0.5", "12%", "", "2.00x", "-"])
    assert not is_numeric(["1,234", "fwd"])


GROUPED = re.compile(r"\d,\d")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("args", [["model", "show", "resnet50", "--batch", "32"],
                                  ["energy", "table"], ["model", "list"], ["arch", "list"]])
def test_real_tables_fit(args: list[str], width: int, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    from flexsa.cli import main

    monkeypatch.setenv("COLUMNS", str(width))
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if any(ch in ln for ch in BOX)]
    assert lines and all(len(line) <= width for line in lines)
    assert all(line.rstrip()[-1] in BOX for line in lines), "a cropped table"
    for token in _tokens("\n".join(lines)):
        if GROUPED.search(token):  # thousands groups stay whole: 29,392 not 29,39 / 2
            assert re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", token.strip("(),;")), token


def test_share_spare() -> None:
    from flexsa.report.tables import share_spare

    assert share_spare([5, 5], [6, 20], 10) == [6, 14]
    assert share_spare([5, 5], [5, 5], 10) == [5, 5]
