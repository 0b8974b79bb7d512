"""`compile --json` and `verify --json`: one strict JSON object each, with provenance."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli


def strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(text, parse_constant=refuse)


def test_compile_json_plan_dma_and_program(tmp_path: Path):
    out = tmp_path / "prog.jsonl"
    proc = run_cli("compile", "--arch", "4G4C", "--gemm", "71,300,3", "--dma", "--json",
                   "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    payload = strict(proc.stdout)
    assert payload["config"]["gemm"] == {"m": 71, "n": 300, "k": 3}
    assert sum(part["m"] for part in payload["parts"]) == 71
    assert payload["dma"] and payload["version"]
    lines = out.read_text().splitlines()
    assert payload["program"]["instructions"] == len(lines) - 1 > 0   # a header line


def test_verify_json_and_contradictory_flags():
    proc = run_cli("verify", "--arch", "1G1F", "--gemm", "30,20,10", "--seed", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    payload = strict(proc.stdout)
    assert payload["ok"] is True and payload["mismatches"] == 0
    assert payload["outputs"] == 600 and payload["config"]["seed"] == 3
    bad = run_cli("compile", "--arch", "1G1F", "--gemm", "3,3,3", "--json", "--listing")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_list_commands_json():
    archs = strict(run_cli("arch", "list", "--json").stdout)
    assert [a["name"] for a in archs["presets"]][:1] == ["1G1C"] and archs["version"]
    models = strict(run_cli("model", "list", "--json").stdout)
    resnet = next(m for m in models["models"] if m["name"] == "resnet50")
    assert resnet["params"] == 25_557_032
