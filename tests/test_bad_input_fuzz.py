"""Issue 15: bad input never crashes, hangs or is silently accepted.

Hypothesis generates bad inputs for every command group; each runs in process through
typer's ``CliRunner`` and must give exit code 2, exactly one ``error:`` line on stderr, no
traceback, no "unexpected" (the CLI's last-resort handler) and no file left behind. A
property checks that valid inputs never give NaN, negative or infinite numbers, and that
every ``--json`` output is strict JSON. Derandomised, few examples: CI-stable and fast.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flexsa.cli import app

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
RUNNER = CliRunner()

# ---------------------------------------------------------------- bad values
NOT_FINITE = st.sampled_from(["nan", "inf", "-inf", "NaN", "1e400", "-1e400"])
NEGATIVE = st.integers(max_value=-1).map(str)
HUGE = st.integers(min_value=10**13, max_value=2**80).map(str)
NOT_A_NUMBER = st.sampled_from(["x", "", "1,2", "0x", "--", "1e", "٣"])
BAD_POSITIVE = st.one_of(st.just("0"), NEGATIVE, HUGE, NOT_A_NUMBER)
BAD_FLOAT = st.one_of(NOT_FINITE, NOT_A_NUMBER, st.just("-1"))
BAD_SEED = st.one_of(NEGATIVE, NOT_A_NUMBER, st.just("1.5"))
YAML_BAD = st.sampled_from([".nan", ".inf", "-.inf", "-1", "0", "1.0e+300", "true", "x",
                            "2.5", "[1]", "{}", "1000000000000000"])


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _check_one_line_error(args: list[str], root: Path) -> str:
    """Run ``flexsa ARGS`` in ``root``; assert the issue-15 contract; return the message."""
    work = Path(tempfile.mkdtemp(dir=root))  # fresh per example (hypothesis reuses ``root``)
    before = _files(root)
    cwd = os.getcwd()
    os.chdir(work)
    try:
        result = RUNNER.invoke(app, args)
    finally:
        os.chdir(cwd)
    err = result.stderr
    assert result.exit_code == 2, (args, result.exit_code, result.stdout[-300:], err)
    assert "Traceback" not in err and "Traceback" not in result.stdout, (args, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)
    assert "unexpected" not in lines[0], (args, lines[0])  # a real check, not the safety net
    assert _files(root) == before, (args, sorted(map(str, _files(root) - before)))
    shutil.rmtree(work)
    return lines[0]


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "notutf8.yaml").write_bytes(b"\xff\xfe bad: [")
    (tmp_path / "in" / "adir.yaml").mkdir()
    (tmp_path / "in" / "net.onnx").write_bytes(b"not onnx")
    (tmp_path / "in" / "ok.yaml").write_text("base: 1G1C\n")
    yield tmp_path


# ---------------------------------------------------------------- numbers on the CLI
@FUZZ
@given(dim=BAD_POSITIVE, which=st.integers(0, 2), cmd=st.sampled_from(["simulate", "compile",
                                                                        "verify"]))
def test_bad_gemm_dims(root: Path, dim: str, which: int, cmd: str) -> None:
    dims = ["8", "8", "8"]
    dims[which] = dim
    _check_one_line_error([cmd, "--arch", "1G1F", "--gemm", ",".join(dims)], root)


@FUZZ
@given(option=st.sampled_from(["--batch", "--width-mult", "--epoch"]),
       value=st.one_of(BAD_POSITIVE, BAD_FLOAT))
def test_bad_model_knobs_simulate(root: Path, option: str, value: str) -> None:
    if option == "--epoch" and value == "0":
        value = "91"  # past the 90-epoch schedule
    args = ["simulate", "--arch", "1G1C", "--model", "resnet50", "--batch", "2"]
    if option == "--batch":
        args = args[:-2]
    if option == "--epoch":
        args += ["--pruning", "low"]
    _check_one_line_error([*args, option, value], root)


@FUZZ
@given(option=st.sampled_from(["--batch", "--width-mult", "--resolution", "--seq-len"]),
       value=st.one_of(BAD_POSITIVE, BAD_FLOAT))
def test_bad_model_show(root: Path, option: str, value: str) -> None:
    if option in ("--resolution", "--seq-len") and value == "0":
        value = "-1"  # 0 means the default there
    args = ["model", "show", "bert_base" if option == "--seq-len" else "resnet50"]
    if option != "--batch":
        args += ["--batch", "1"]
    _check_one_line_error([*args, option, value], root)


@FUZZ
@given(option=st.sampled_from(["--instances", "--seed"]), value=BAD_POSITIVE)
def test_bad_compile_verify_counts(root: Path, option: str, value: str) -> None:
    if option == "--seed" and (value == "0" or value.isdigit()):
        value = "-1"  # any non-negative integer is a valid seed
    cmd = "verify" if option == "--seed" else "compile"
    _check_one_line_error([cmd, "--arch", "1G1C", "--gemm", "4,4,4", option, value], root)


@FUZZ
@given(option=st.sampled_from(["--epochs", "--interval", "--seed", "--width-mult"]),
       value=st.one_of(BAD_POSITIVE, BAD_FLOAT))
def test_bad_prune_trajectory(root: Path, option: str, value: str) -> None:
    if option == "--seed" and (value == "0" or value.isdigit()):
        value = "-1"
    _check_one_line_error(["prune", "trajectory", "--model", "resnet50", option, value,
                           "--out", "traj.json"], root)


@FUZZ
@given(option=st.sampled_from(["--lr", "--threshold", "--penalty-ratio", "--batch-size",
                               "--threads", "--epochs", "--seed"]),
       value=st.one_of(BAD_FLOAT, BAD_POSITIVE))
def test_bad_prune_train(root: Path, option: str, value: str) -> None:
    if option in ("--seed", "--threshold") and (value == "0" or value.isdigit()):
        value = "-1"  # any seed >= 0 and any threshold > 0 are valid
    _check_one_line_error(["prune", "train", "--epochs", "2", "--interval", "1", option, value,
                           "--out", "run"], root)


@FUZZ
@given(option=st.sampled_from(["--random", "--alpha", "--gamma", "--section", "--array",
                               "--seed"]),
       value=st.one_of(BAD_POSITIVE, BAD_FLOAT))
def test_bad_pack(root: Path, option: str, value: str) -> None:
    if option in ("--section", "--seed", "--gamma") and (value == "0" or value.isdigit()):
        value = "-1"
    if option == "--random":
        value = f"{value},16,0.5"
    if option == "--array":
        value = f"{value},8"
    args = ["pack", "--out", "packed.npz"]
    if option != "--random":
        args += ["--random", "16,16,0.5"]
    _check_one_line_error([*args, option, value], root)


@FUZZ
@given(option=st.sampled_from(["--m", "--n", "--k", "--nnz-a", "--seed"]),
       value=st.one_of(NEGATIVE, HUGE, NOT_A_NUMBER))
def test_bad_sparse(root: Path, option: str, value: str) -> None:
    if option == "--seed" and value.isdigit():
        value = "-1"
    sizes = {"--m": "8", "--n": "8", "--k": "8", "--nnz-a": "8", "--nnz-b": "8", "--seed": "0"}
    sizes[option] = value
    args = [x for kv in sizes.items() for x in kv]
    _check_one_line_error(["sparse", "simulate", "-d", "all", *args, "--save-c", "c.npz"], root)


@FUZZ
@given(group=st.sampled_from(["flexsa", "flexagon", "colcomb"]), value=BAD_SEED)
def test_bad_reproduce_seeds(root: Path, group: str, value: str) -> None:
    """Seeds: any non-negative integer, in every command; checked before --out is made."""
    extra = {"flexsa": ["--models", "resnet50"], "flexagon": ["--max-layers", "1"],
             "colcomb": ["--epochs", "0"]}[group]
    _check_one_line_error(["reproduce", group, "--out", "res", "--seed", value, *extra], root)


@FUZZ
@given(option=st.sampled_from(["--lr", "--l1", "--gamma", "--fraction", "--prune-scale",
                               "--epochs", "--batch-size", "--seed"]),
       value=st.one_of(BAD_FLOAT, HUGE))
def test_bad_colcomb_train(root: Path, option: str, value: str) -> None:
    if option == "--seed" and value.isdigit():
        value = "-1"
    _check_one_line_error(["colcomb", "train", "--out", "r.json", option, value], root)


# ---------------------------------------------------------------- numbers in files
ARCH_FIELDS = ["groups", "cores_per_group", "core_rows", "core_cols", "clock_ghz",
               "lbuf_streamed_elems", "input_bytes", "mode_switch_cycles", "memory.gbuf_mib",
               "memory.dram_gbps", "memory.dram_latency_cycles", "memory.gbuf_ports",
               "memory.gbuf_to_lbuf_bytes_per_cycle"]


def _arch_yaml(field: str, value: str) -> str:
    if field.startswith("memory."):
        return f"base: 1G1C\nmemory:\n  {field.split('.')[1]}: {value}\n"
    return f"base: 1G1C\n{field}: {value}\n"


ALLOWED = {("memory.dram_latency_cycles", "0"), ("mode_switch_cycles", "0"),
           ("memory.gbuf_ports", "0"), ("lbuf_streamed_elems", "0")}


@FUZZ
@given(field=st.sampled_from(ARCH_FIELDS), value=YAML_BAD,
       cmd=st.sampled_from(["arch show", "simulate", "area"]))
def test_bad_arch_yaml(root: Path, field: str, value: str, cmd: str) -> None:
    if (field, value) in ALLOWED or (value == "1000000000000000" and field in ("clock_ghz",)):
        value = "-1"
    path = root / "in" / "bad.yaml"
    path.write_text(_arch_yaml(field, value))
    args = {"arch show": ["arch", "show", str(path), "--json"],
            "simulate": ["simulate", "--arch", str(path), "--gemm", "8,8,8", "--json"],
            "area": ["area", "--arch", str(path), "--json"]}[cmd]
    message = _check_one_line_error(args, root)
    assert field.split(".")[-1] in message or "true/false" in message or "mapping" in message


@FUZZ
@given(key=st.sampled_from(["target_node_nm", "value", "node_nm"]),
       value=st.sampled_from([".nan", ".inf", "-1", "1.0e+300", "x", "0"]))
def test_bad_energy_override(root: Path, key: str, value: str) -> None:
    path = root / "in" / "energy.yaml"
    if key == "target_node_nm":
        path.write_text(f"target_node_nm: {value}\n")
    else:
        entry = {"value": value, "node_nm": "45"} | ({key: value} if key == "node_nm" else {})
        path.write_text("entries:\n  fp16_mult_energy:\n" + "".join(
            f"    {k}: {v}\n" for k, v in entry.items()) + "    unit: pJ\n    source: test\n")
    if (key, value) == ("value", "0"):
        value = "-1"
        path.write_text(path.read_text().replace("value: 0", "value: -1"))
    _check_one_line_error(["energy", "table", "--json", "--energy-table", str(path)], root)


@FUZZ
@given(axis=st.sampled_from(["batch", "memory", "pruning", "set.arch.clock_ghz",
                             "set.model.width_mult", "set.arch.groups"]),
       value=YAML_BAD)
def test_bad_sweep_spec(root: Path, axis: str, value: str) -> None:
    spec = {"arch": "[1G1C]", "model": "[resnet50]", "batch": "[1]"}
    if axis.startswith("set."):
        body = "".join(f"{k}: {v}\n" for k, v in spec.items())
        body += f"set:\n  {axis[4:]}: [{value}]\n"
    else:
        spec[axis] = f"[{value}]"
        body = "".join(f"{k}: {v}\n" for k, v in spec.items())
    if axis in ("memory", "set.arch.clock_ghz", "set.model.width_mult") and value == "2.5":
        value = "-2.5"  # 2.5 GB/s is a valid bandwidth
        body = body.replace("[2.5]", "[-2.5]")
    if (axis, value) in (("pruning", "x"),):
        body = body.replace("[x]", "[low@-1]")
    path = root / "in" / "spec.yaml"
    path.write_text(body)
    _check_one_line_error(["sweep", str(path), "--out", "store.sqlite", "-q"], root)


# ---------------------------------------------------------------- files and flags
FILE_CASES = [
    ["simulate", "--arch", "{in}/notutf8.yaml", "--gemm", "8,8,8"],
    ["simulate", "--arch", "{in}/adir.yaml", "--gemm", "8,8,8"],
    ["simulate", "--arch", "{in}/missing.yaml", "--gemm", "8,8,8"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--energy-table", "{in}/notutf8.yaml"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--energy-table", "{in}/adir.yaml"],
    ["simulate", "--arch", "1G1C", "--model", "{in}/missing.onnx", "--batch", "1"],
    ["simulate", "--arch", "1G1C", "--model", "{in}/net.onnx", "--batch", "1"],
    ["model", "show", "{in}/adir.yaml", "--batch", "1"],
    ["sweep", "{in}/notutf8.yaml", "--out", "s.sqlite"],
    ["sweep", "{in}/adir.yaml", "--out", "s.sqlite"],
    ["sweep", "show", "{in}/ok.yaml"],
    ["sweep", "show", "{in}/adir.yaml"],
    ["scalesim", "--config", "{in}/notutf8.yaml", "--topology", "{in}/ok.yaml"],
    ["scalesim", "--config", "{in}/adir.yaml"],
    ["pack", "--weights", "{in}/net.onnx"],
    ["pack", "--weights", "{in}/adir.yaml"],
    ["sparse", "simulate", "-d", "all", "--case", "{in}/notutf8.yaml"],
    ["energy", "table", "--energy-table", "{in}/missing.yaml"],
]
FLAG_CASES = [
    ["model", "show", "resnet50", "--batch", "1", "--json", "--csv"],
    ["simulate", "--arch", "1G1C", "--model", "resnet50", "--batch", "1", "--epoch", "3"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--batch", "4"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--width-mult", "0.5"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--dgrad-form", "col2im"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--timing", "scalesim", "--memory",
     "hbm2"],
    ["simulate", "--arch", "1G1C", "--arch", "1G1F", "--gemm", "8,8,8"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--bogus"],
    ["simulate", "--arch", "1G1C", "--gemm"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--batch", "x"],
    ["simulate", "--arch", "1G1C", "--gemm", "8,8,8", "--memory", "1e-300"],
    ["area", "--split-study", "--arch", "1G4C"],
    ["prune", "trajectory", "--model", "resnet50", "--strength", "low", "--width-mult", "0.5"],
    ["prune", "trajectory", "--model", "resnet50", "--width-mult", "0.5", "--seed", "3"],
    ["pack", "--random", "8,8,0.5", "--key", "a"],
    ["pack", "--random", "8,8,0.5", "--out", "somedir"],
    ["pack", "--random", "8,8,0.5", "--out", "{in}"],
    ["prune", "train", "--out", "{in}/ok.yaml/x", "--epochs", "1", "--interval", "1"],
    ["prune", "trajectory", "--model", "resnet50", "--out", "nodir/t.json"],
    ["compile", "--arch", "1G1C", "--gemm", "8,8,8", "--out", "{in}"],
    ["sparse", "simulate", "-d", "all", "--case", "{in}/ok.yaml", "--m", "4"],
    ["sweep", "show", "x.sqlite", "--csv", "--parquet", "x.parquet"],
    ["nosuchcommand"],
    ["model", "show"],
]


@pytest.mark.parametrize("case", FILE_CASES + FLAG_CASES, ids=lambda c: " ".join(c)[:60])
def test_file_and_flag_errors(root: Path, case: list[str]) -> None:
    _check_one_line_error([c.replace("{in}", str(root / "in")) for c in case], root)


def test_file_errors_say_what_is_wrong(root: Path) -> None:
    def message(*args: str) -> str:
        return _check_one_line_error([a.replace("{in}", str(root / "in")) for a in args], root)

    assert "not UTF-8" in message("arch", "show", "{in}/notutf8.yaml")
    assert "is a directory" in message("arch", "show", "{in}/adir.yaml")
    assert "not found" in message("simulate", "--arch", "1G1C", "--model", "{in}/x.onnx",
                                  "--batch", "1")
    assert "ONNX" in message("simulate", "--arch", "1G1C", "--model", "{in}/net.onnx",
                             "--batch", "1")
    assert "not a flexsa sweep store" in message("sweep", "show", "{in}/ok.yaml")


# ---------------------------------------------------------------- valid inputs: sane numbers
def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(arch=st.sampled_from(["1G1C", "1G4C", "4G4C", "1G1F", "4G1F"]),
       dims=st.tuples(*[st.integers(1, 3000)] * 3),
       memory=st.sampled_from(["ideal", "hbm2", "0.5", "900"]),
       phase=st.sampled_from(["fwd", "dgrad", "wgrad"]))
def test_valid_inputs_give_finite_non_negative_numbers(arch: str, dims: tuple[int, int, int],
                                                      memory: str, phase: str) -> None:
    gemm = ",".join(map(str, dims))
    result = RUNNER.invoke(app, ["simulate", "--arch", arch, "--gemm", gemm, "--memory", memory,
                                 "--phase", phase, "--json"])
    assert result.exit_code == 0, result.stderr
    payload = _strict_json(result.stdout)
    numbers = list(_numbers({k: v for k, v in payload.items() if k != "config"}))
    assert numbers and all(math.isfinite(x) and x >= 0 for x in numbers)
    assert payload["cycles"] > 0 and 0 < payload["pe_utilization"] <= 1


@pytest.mark.parametrize("args", [
    ["arch", "show", "1G1F", "--json"],
    ["simulate", "--arch", "1G1F", "--gemm", "1000,150,300", "--json"],
    ["area", "--arch", "4G1F", "--json"],
    ["energy", "table", "--json"],
    ["prune", "trajectory", "--model", "resnet50", "--epochs", "20", "--json"],
    ["pack", "--random", "16,32,0.3", "--json"],
], ids=lambda a: " ".join(a[:2]))
def test_every_json_output_is_strict(args: list[str]) -> None:
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    payload = _strict_json(result.stdout)
    assert all(math.isfinite(x) for x in _numbers(payload))


def test_ideal_memory_bandwidth_is_null_in_json() -> None:
    """README example: ideal memory has unlimited bandwidth, written as null."""
    result = RUNNER.invoke(app, ["simulate", "--arch", "1G1F", "--gemm", "1000,150,300",
                                 "--json"])
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    assert '"dram_gbps": null' in result.stdout


def test_large_seed_is_accepted_everywhere_the_same() -> None:
    result = RUNNER.invoke(app, ["verify", "--arch", "1G1C", "--gemm", "4,4,4", "--seed",
                                 str(2**70)])
    assert result.exit_code == 0, result.stderr
    result = RUNNER.invoke(app, ["pack", "--random", "8,8,0.5", "--seed", str(2**70), "--json"])
    assert result.exit_code == 0, result.stderr


def test_limit_can_be_raised_by_environment(monkeypatch: pytest.MonkeyPatch,
                                            root: Path) -> None:
    message = _check_one_line_error(["pack", "--random", "2000,2000,0.01", "--alpha", "5000"],
                                    root)
    assert "FLEXSA_MAX_ALPHA" in message and "4,096" in message
    monkeypatch.setenv("FLEXSA_MAX_ALPHA", "8192")
    monkeypatch.setenv("FLEXSA_MAX_PACK_ELEMS", "1")
    message = _check_one_line_error(["pack", "--random", "2000,2000,0.01", "--alpha", "5000"],
                                    root)
    assert "FLEXSA_MAX_PACK_ELEMS" in message


# ---------------------------------------------------------------- sweep stores
def _small_store(root: Path) -> tuple[Path, Path]:
    spec = root / "in" / "sweep.yaml"
    spec.write_text("arch: [1G1C]\nmodel: [resnet50]\nbatch: [1, 2]\n")
    store = root / "in" / "store.sqlite"
    result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(store), "-q"])
    assert result.exit_code == 0, result.stderr
    return spec, store


def test_corrupt_sweep_store_is_one_line_for_run_and_show(root: Path) -> None:
    import sqlite3

    spec, store = _small_store(root)
    conn = sqlite3.connect(store)
    conn.execute("UPDATE tasks SET result = substr(result, 1, 20) WHERE idx = 1")
    conn.commit()
    conn.close()
    for args in (["sweep", str(spec), "--out", str(store), "-q"], ["sweep", "show", str(store)]):
        assert "is corrupt" in _check_one_line_error(args, root)
    truncated = root / "in" / "truncated.sqlite"
    data = store.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    assert "corrupt" in _check_one_line_error(["sweep", "show", str(truncated)], root)


def test_second_writer_on_a_store_refuses_and_evaluates_nothing(root: Path) -> None:
    from flexsa.runner import RunStore
    from flexsa.sweeps.engine import identity
    from flexsa.sweeps.spec import load_spec

    spec, store = _small_store(root)
    store.unlink()
    with RunStore(store, identity(load_spec(spec))):  # a sweep is writing this store
        message = _check_one_line_error(["sweep", str(spec), "--out", str(store), "-q"], root)
    assert "being written by another running process" in message
    result = RUNNER.invoke(app, ["sweep", str(spec), "--out", str(store), "-q"])
    assert result.exit_code == 0 and "2 evaluated, 0 already" in result.stderr
