"""The ``flexsa model`` commands, end to end through the console entry point."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli


def test_model_show_json_shape_and_totals() -> None:
    result = run_cli("model", "show", "resnet50", "--batch", "32", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["model"] == "resnet50" and payload["batch"] == 32
    assert payload["totals"] == {"fwd": 130_853_896_192, "dgrad": 127_077_449_728,
                                 "wgrad": 130_853_896_192, "all": 388_785_242_112}
    first = payload["gemms"][0]
    assert set(first) >= {"layer", "phase", "m", "n", "k", "groups", "macs"}
    assert sum(g["macs"] for g in payload["gemms"]) == payload["totals"]["all"]
    assert "version" in payload and "config" in payload


def test_model_show_phase_width_and_csv() -> None:
    result = run_cli("model", "show", "mobilenet_v2", "--batch", "128", "--phase", "wgrad",
                     "--width-mult", "0.75", "--csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("layer,phase,m,n,k,groups,macs")
    assert all(",wgrad," in line for line in lines[1:])


def test_model_list_and_table() -> None:
    listing = run_cli("model", "list")
    assert listing.returncode == 0 and "inception_v4" in listing.stdout
    table = run_cli("model", "show", "bert_base", "--batch", "1", "--seq-len", "64")
    assert table.returncode == 0 and "attention.score" in table.stdout


@pytest.mark.parametrize("args,needle", [
    (["model", "show", "resnet51", "--batch", "32"], "unknown model"),
    (["model", "show", "resnet50", "--batch", "0"], "--batch"),
    (["model", "show", "resnet50", "--batch", "-4"], "--batch"),
    (["model", "show", "resnet50", "--batch", "2", "--width-mult", "0"], "width"),
    (["model", "show", "inception_v4", "--batch", "2", "--resolution", "40"], "output size"),
    (["model", "show", "resnet50", "--batch", "2", "--phase", "back"], "phase"),
])
def test_bad_input_is_one_line_exit_2(args: list[str], needle: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
