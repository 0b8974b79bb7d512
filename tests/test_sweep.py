"""Sweeps: spec validation, cross product, store (resume, identity), engine backends."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flexsa.errors import ConfigError, WorkloadError
from flexsa.sweeps import expand, load_spec, run_sweep, sweep_frame, sweep_records
from flexsa.sweeps.points import Point
from tests.conftest import run_cli

SPEC = {"arch": ["1G1C", "1G1F"], "model": ["resnet50"], "batch": [8, 16],
        "pruning": ["none"], "memory": ["ideal"], "set": {"arch.gbuf_mib": [5, 10]}}
CALLS: list[int] = []


def fake_evaluate(point: Point) -> dict:
    """Deterministic stand-in for the simulator (module level: picklable)."""
    CALLS.append(point.index)
    rows = int(point.params().get("arch.memory.gbuf_mib", 1))
    return {"metrics": {"cycles": 1000 * point.batch + rows, "pe_utilization": 0.5},
            "config": {"point": point.params()}}


def failing_evaluate(point: Point) -> dict:
    if point.batch == 16:
        raise WorkloadError("batch 16 does not fit")
    return fake_evaluate(point)


def write_spec(tmp_path: Path, spec: dict, name: str = "spec.yaml") -> Path:
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ spec and points
def test_spec_cross_product_and_stable_ids():
    spec = load_spec(SPEC)
    points = expand(spec)
    assert spec.size == len(points) == 2 * 1 * 2 * 1 * 1 * 2
    assert [p.index for p in points] == list(range(8))
    assert points[1].params() == {"arch": "1G1C", "model": "resnet50", "batch": 8,
                                  "pruning": "none", "memory": "ideal",
                                  "arch.memory.gbuf_mib": 10}
    assert len({p.point_id for p in points}) == 8
    assert [p.point_id for p in expand(load_spec(SPEC))] == [p.point_id for p in points]


def test_spec_values_may_be_scalars_and_pruning_parses():
    spec = load_spec({"arch": "1g1f", "model": "ResNet50", "batch": 32,
                      "pruning": ["none", "low@50", "0.3@10"], "memory": [ideal := "ideal", 300]})
    assert [a.label for a in spec.arch] == ["1G1F"]
    assert [p.label for p in spec.pruning] == ["none", "low@50", "0.3@10"]
    assert spec.memory == (ideal, 300.0)


@pytest.mark.parametrize("change, message", [
    ({"set": {"arch.core_rowz": [16]}}, "unknown config field 'arch.core_rowz'"),
    ({"set": {"model.depth": [1]}}, "unknown config field 'model.depth'"),
    ({"set": {"arch.core_rows": [-4]}}, "core_rows"),
    ({"colour": "red"}, "unknown sweep key 'colour'"),
    ({"arch": ["9G9C"]}, "neither a preset"),
    ({"model": ["resnet5"]}, "unknown model"),
    ({"pruning": ["low"]}, "needs an epoch"),
    ({"pruning": ["mid@5"]}, "pruning 'mid@5'"),
    ({"pruning": ["high@91"]}, "epoch must be in"),
    ({"memory": ["fast"]}, "memory 'fast'"),
    ({"batch": [0]}, "batch"),
    ({"batch": [8, 8]}, "twice"),
    ({"arch": ["1g1f", "1G1F"]}, "'arch' lists a value twice"),
])
def test_bad_spec_is_one_config_error(change, message):
    with pytest.raises((ConfigError, WorkloadError), match=message.replace("(", r"\(")) as err:
        run_sweep(load_spec({**SPEC, **change}), "/nonexistent/never-created.sqlite")
    assert "\n" not in str(err.value)


def test_unknown_field_on_the_cli_exits_2_and_names_it(tmp_path, cli):
    spec = write_spec(tmp_path, {**SPEC, "set": {"arch.gbuf_mb": [5]}})
    result = cli("sweep", str(spec), "--out", str(tmp_path / "r.sqlite"))
    assert result.returncode == 2
    assert result.stderr.startswith("error:") and "'arch.gbuf_mb'" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (tmp_path / "r.sqlite").exists()


# ------------------------------------------------------------------ engine and store
def test_sweep_commits_every_point_once_and_resume_skips(tmp_path):
    out = tmp_path / "r.sqlite"
    CALLS.clear()
    first = run_sweep(load_spec(SPEC), out, evaluate=fake_evaluate)
    assert (first.evaluated, first.skipped) == (8, 0) and sorted(CALLS) == list(range(8))
    again = run_sweep(load_spec(SPEC), out, evaluate=fake_evaluate)
    assert (again.evaluated, again.skipped) == (0, 8) and len(CALLS) == 8
    rows = sweep_records(out)
    assert [r["index"] for r in rows] == list(range(8))
    assert rows[3]["cycles"] == 16 * 1000 + 10 and rows[3]["version"]
    conn = sqlite3.connect(out)
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    config = json.loads(conn.execute("SELECT result FROM tasks WHERE idx = 3").fetchone()[0])
    config = config["config"]
    conn.close()
    assert mode == "wal" and config == {"point": rows[3] | {}} or config["point"]["batch"] == 16


def test_local_processes_give_the_same_rows(tmp_path):
    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    run_sweep(load_spec(SPEC), one, evaluate=fake_evaluate)
    summary = run_sweep(load_spec(SPEC), two, jobs=2, evaluate=fake_evaluate)
    assert summary.evaluated == 8
    strip = ("host_seconds",)
    assert ([{k: v for k, v in r.items() if k not in strip} for r in sweep_records(one)]
            == [{k: v for k, v in r.items() if k not in strip} for r in sweep_records(two)])


def test_point_errors_are_stored_and_the_rest_runs(tmp_path):
    out = tmp_path / "r.sqlite"
    summary = run_sweep(load_spec(SPEC), out, evaluate=failing_evaluate)
    assert (summary.evaluated, summary.errors) == (8, 4)
    rows = sweep_records(out)
    assert {r["status"] for r in rows if r["batch"] == 16} == {"error"}
    assert all("does not fit" in r["error"] for r in rows if r["batch"] == 16)


def test_store_of_another_spec_is_refused_untouched(tmp_path, cli):
    out = tmp_path / "r.sqlite"
    run_sweep(load_spec(SPEC), out, evaluate=fake_evaluate)
    before = (digest(out), out.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
    other = {**SPEC, "batch": [8]}
    with pytest.raises(ConfigError, match="written by another sweep spec"):
        run_sweep(load_spec(other), out, evaluate=fake_evaluate)
    result = cli("sweep", str(write_spec(tmp_path, other)), "--out", str(out))
    assert result.returncode == 2 and "another sweep spec" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    after = (digest(out), out.stat().st_mtime_ns,
             sorted(p.name for p in tmp_path.iterdir() if p.name != "spec.yaml"))
    assert after == before


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path):
    out = tmp_path / "notes.sqlite"
    out.write_text("not a database\n" * 100)
    before = digest(out)
    with pytest.raises(ConfigError, match="not a flexsa sweep store"):
        run_sweep(load_spec(SPEC), out, evaluate=fake_evaluate)
    assert digest(out) == before


# ------------------------------------------------------------------ real evaluation
def test_real_points_match_direct_simulation(tmp_path):
    from flexsa.arch import load_arch, with_overrides
    from flexsa.pipeline import simulate_model
    from flexsa.workloads.pruning import make_trajectory
    from flexsa.workloads.zoo import build_model

    spec = {"arch": ["1G1F"], "model": ["resnet50"], "batch": [32],
            "pruning": ["none", "low@50"], "set": {"arch.core_rows": [32, 64]}}
    frame = sweep_frame(run_sweep(load_spec(spec), tmp_path / "r.sqlite").store)
    assert len(frame) == 4 and set(frame["status"]) == {"ok"}
    arch = with_overrides(load_arch("1G1F"), {"core_rows": 32})
    dense = simulate_model(arch, build_model("resnet50"), 32)
    pruned = simulate_model(arch, make_trajectory("resnet50", "low").model_at(50), 32)
    row = frame[(frame["arch.core_rows"] == 32)]
    assert list(row["cycles"]) == [dense.cycles, pruned.cycles]
    assert row["pe_utilization"].iloc[0] == pytest.approx(dense.pe_utilization)
    assert "traffic_bytes_gbuf_to_lbuf_streamed" in frame.columns


def test_show_exports_csv_and_parquet(tmp_path, cli):
    import pandas as pd

    spec_path = write_spec(tmp_path, {"arch": ["1G1C", "4G1F"], "model": ["resnet50"],
                                      "batch": [16]})
    out = tmp_path / "r.sqlite"
    result = cli("sweep", str(spec_path), "--out", str(out), "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "2/2" in result.stderr and "points/s" in result.stderr
    csv = cli("sweep", "show", str(out), "--csv")
    assert csv.returncode == 0
    lines = csv.stdout.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("index,point_id,arch,model,batch")
    parquet = tmp_path / "r.parquet"
    assert cli("sweep", "show", str(out), "--parquet", str(parquet)).returncode == 0
    frame = pd.read_parquet(parquet)
    assert list(frame["arch"]) == ["1G1C", "4G1F"] and (frame["cycles"] > 0).all()
    assert cli("sweep", "show", str(tmp_path / "missing.sqlite")).returncode == 2


@pytest.mark.slow
def test_sigkill_mid_sweep_loses_nothing_and_resume_runs_each_point_once(tmp_path):
    spec = {"arch": ["1G1C", "1G1F", "4G4C"], "model": ["resnet50"], "batch": [8, 32],
            "set": {"arch.core_rows": [32, 128], "arch.gbuf_mib": [5, 10, 20]}}
    spec_path = write_spec(tmp_path, spec)
    out = tmp_path / "r.sqlite"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    command = [sys.executable, "-m", "flexsa", "sweep", str(spec_path), "--out", str(out),
               "--jobs", "2", "--quiet"]
    proc = subprocess.Popen(command, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    count, deadline = 0, time.monotonic() + 60
    try:
        while count < 8 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
            if out.exists():
                try:
                    with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as conn:
                        count = conn.execute("SELECT COUNT(*) FROM tasks").fetchone()[0]
                except sqlite3.Error:
                    count = 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    killed = {r["point_id"]: r for r in sweep_records(out)}
    assert 8 <= len(killed) < 36
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = sweep_records(out)
    assert len(rows) == 36 and sorted(r["index"] for r in rows) == list(range(36))
    assert len({r["point_id"] for r in rows}) == 36
    for row in rows:   # points finished before the kill are kept as they were
        if row["point_id"] in killed:
            assert row == killed[row["point_id"]]


@pytest.mark.slow
def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    spec = {"arch": ["1G1C", "1G1F"], "model": ["resnet50"], "batch": [32],
            "set": {"arch.gbuf_mib": [5, 10]}}
    local = sweep_frame(run_sweep(load_spec(spec), tmp_path / "local.sqlite").store)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp://", dashboard_address=None) as cluster:
        summary = run_sweep(load_spec(spec), tmp_path / "dask.sqlite",
                            scheduler=cluster.scheduler_address)
        assert summary.evaluated == 4
        again = run_sweep(load_spec(spec), tmp_path / "dask.sqlite",
                          scheduler=cluster.scheduler_address)
        assert again.skipped == 4 and again.evaluated == 0
        result = run_cli("sweep", str(write_spec(tmp_path, spec)), "--out",
                         str(tmp_path / "cli.sqlite"), "--scheduler", cluster.scheduler_address)
        assert result.returncode == 0, result.stderr
    remote = sweep_frame(tmp_path / "dask.sqlite")
    assert list(remote["cycles"]) == list(local["cycles"])
    assert list(sweep_frame(tmp_path / "cli.sqlite")["cycles"]) == list(local["cycles"])


def test_unreachable_scheduler_is_one_line_error(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from flexsa.runner import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(ConfigError, match="cannot connect to the Dask scheduler"):
        run_sweep(load_spec({**SPEC, "batch": [8]}), tmp_path / "r.sqlite",
                  scheduler="tcp://127.0.0.1:9", evaluate=fake_evaluate)
    with pytest.raises(ConfigError, match="cannot connect to the Dask scheduler 'nonsense'"):
        run_sweep(load_spec({**SPEC, "batch": [8]}), tmp_path / "r.sqlite",
                  scheduler="nonsense", evaluate=fake_evaluate)
    assert not (tmp_path / "r.sqlite").exists()


def test_spec_files_are_relative_to_the_spec_and_part_of_its_identity(tmp_path):
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.zeros((8, 3, 3, 3), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [weight])
    onnx.save(helper.make_model(graph), tmp_path / "net.onnx")
    (tmp_path / "my_array.yaml").write_text("base: 1G1F\ncore_rows: 32\n")
    spec = {"arch": ["my_array.yaml"], "model": ["net.onnx", "resnet50"], "batch": [4]}
    spec_path = write_spec(tmp_path, spec)
    out = tmp_path / "r.sqlite"
    frame = sweep_frame(run_sweep(spec_path, out).store)
    assert list(frame["model"]) == ["net.onnx", "resnet50"] and set(frame["status"]) == {"ok"}
    assert frame["macs"].iloc[0] == 4 * 16 * 16 * 8 * 27 * 2   # fwd + wgrad (reads the input)
    config = json.loads(sqlite3.connect(out).execute(
        "SELECT result FROM tasks WHERE idx = 0").fetchone()[0])["config"]
    assert config["arch"]["core_rows"] == 32 and config["arch"]["flexsa"] is True
    (tmp_path / "my_array.yaml").write_text("base: 1G1F\ncore_rows: 16\n")
    with pytest.raises(ConfigError, match="another sweep spec"):
        run_sweep(spec_path, out)
    pruned = sweep_frame(run_sweep(load_spec({**spec, "arch": ["1G1F"], "pruning": [
        "none", "high@80"]}, tmp_path), tmp_path / "p.sqlite").store)
    assert "below the smallest reachable" in pruned["error"].iloc[1]
    assert list(pruned["status"]) == ["ok", "error", "ok", "ok"]   # net.onnx: nothing prunable
    assert pruned["macs"].iloc[3] < pruned["macs"].iloc[2]         # resnet50 pruned


def test_memory_settings_give_energy_and_dram_traffic(tmp_path):
    spec = {"arch": ["1G1F"], "model": ["resnet50"], "batch": [16],
            "memory": ["ideal", "hbm2", 50]}
    frame = sweep_frame(run_sweep(load_spec(spec), tmp_path / "r.sqlite").store)
    assert list(frame["memory"]) == ["ideal", "hbm2", 50.0]
    assert (frame["energy_pj_total"] > 0).all() and (frame["traffic_bytes_dram_to_gbuf"] > 0).all()
    ideal, hbm2, slow = frame["cycles"]
    assert ideal <= hbm2 <= slow and frame["stall_cycles"].iloc[2] > 0
    from flexsa.arch import load_arch
    from flexsa.pipeline import simulate_model
    from flexsa.workloads.zoo import build_model

    direct = simulate_model(load_arch("1G1F"), build_model("resnet50"), 16, memory="hbm2")
    assert hbm2 == direct.cycles
    assert frame["energy_pj_total"].iloc[1] == pytest.approx(direct.as_dict()["energy_pj"]["total"])
