"""CLI of the core: arch, compile, simulate, verify (exit codes and JSON)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_cli


def test_arch_list_and_show(cli) -> None:
    out = cli("arch", "list")
    assert out.returncode == 0 and "4G1F" in out.stdout
    shown = cli("arch", "show", "1G1F", "--json")
    data = json.loads(shown.stdout)
    assert data["arch"]["flexsa"] is True and data["derived"]["total_pes"] == 16384
    assert data["version"] and data["config"]["name"] == "1G1F"


def test_simulate_gemm_json_fields(cli) -> None:
    out = cli("simulate", "--arch", "1G1F", "--gemm", "1000,150,300", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["macs"] == 1000 * 150 * 300
    assert 0 < data["pe_utilization"] <= 1
    assert set(data["waves_by_mode"]) == {"FW", "HSW", "VSW", "ISW", "core"}
    assert data["waves_by_mode"]["VSW"] > 0
    assert set(data["traffic_bytes"]) >= {"gbuf_to_lbuf", "lbuf_to_gbuf", "overcore"}
    assert data["config"]["arch"]["name"] == "1G1F" and "version" in data


def test_simulate_model_text(capsys) -> None:
    code, stdout, err = run_cli(capsys, "simulate", "--arch", "1G4C", "--model",
                                   "resnet50", "--batch", "2", "--phase", "wgrad")
    assert code == 0, err
    assert "pe_utilization" in stdout


def test_compile_listing_and_out(cli, tmp_path) -> None:
    target = tmp_path / "prog.jsonl"
    out = cli("compile", "--arch", "1G1F", "--gemm", "300,50,140", "--listing",
                  "--out", str(target))
    assert out.returncode == 0, out.stderr
    assert "ExecGEMM(VSW" in out.stdout and "StLBUF" in out.stdout
    lines = target.read_text().splitlines()
    assert json.loads(lines[0])["program"] == "flexsa"
    assert any(json.loads(line).get("op") == "ShiftV" for line in lines[1:])


def test_verify_ok(cli) -> None:
    out = cli("verify", "--arch", "4G1F", "--gemm", "71,3,300", "--seed", "11")
    assert out.returncode == 0 and out.stdout.startswith("OK")


@pytest.mark.parametrize("args", [
    ("simulate", "--arch", "1G1C", "--gemm", "0,4,4"),
    ("simulate", "--arch", "1G1C", "--gemm", "4,4"),
    ("simulate", "--arch", "1G1C", "--gemm", "4,x,4"),
    ("simulate", "--arch", "1G1C", "--gemm", "4,2.5,4"),
    ("simulate", "--arch", "9G9Z", "--gemm", "4,4,4"),
    ("simulate", "--arch", "1G1C"),
    ("simulate", "--arch", "1G1C", "--gemm", "4,4,4", "--dataflow", "ws"),
    ("simulate", "--arch", "1G1C", "--model", "resnet50"),
    ("verify", "--arch", "1G1C", "--gemm", "-3,4,4"),
    ("compile", "--arch", "1G1C", "--gemm", "4,4,4,4"),
    ("arch", "show", "nope"),
    ("verify", "--arch", "1G1C", "--gemm", "100000,100000,100000"),
])
def test_bad_input_is_one_line_exit_2(capsys, args: tuple[str, ...]) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize("gemm", ["0,4,4", "4,x,4"])
def test_bad_gemm_subprocess(cli, gemm: str) -> None:
    out = cli("simulate", "--arch", "1G1C", "--gemm", gemm)
    assert out.returncode == 2 and out.stderr.startswith("error: ")
    assert out.stderr.count("\n") == 1


def test_verify_mismatch_exits_1(capsys, monkeypatch) -> None:
    import flexsa.sim.functional as functional

    monkeypatch.setattr(functional, "verify_gemm", lambda *a, **k: (False, 3))
    code, _, err = run_cli(capsys, "verify", "--arch", "1G1C", "--gemm", "4,4,4")
    assert code == 1 and "MISMATCH" in err


def test_bad_yaml_config_exit_2(capsys, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("groups: 1\ncores_per_group: 2\ncore_rows: 4\ncore_cols: 4\nflexsa: true\n")
    code, _, err = run_cli(capsys, "simulate", "--arch", str(path), "--gemm", "4,4,4")
    assert code == 2 and "does not tile" in err
