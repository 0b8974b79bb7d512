"""The Python API: flexsa.simulate / flexsa.sweep, and the runnable example in the docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import flexsa
from flexsa.errors import FlexsaError, WorkloadError

DOC = Path(__file__).parents[1] / "docs" / "ecosystem.md"


def test_import_flexsa_is_light_and_api_is_lazy():
    code = ("import sys, flexsa\n"
            "print(any(m in sys.modules for m in ('flexsa.api', 'pandas', 'flexsa.sim')))\n"
            "f = flexsa.simulate\n"
            "print('flexsa.api' in sys.modules, f.__module__)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "True", "flexsa.api"]
    with pytest.raises(AttributeError):
        flexsa.no_such_thing  # noqa: B018


def test_simulate_matches_the_core_and_carries_provenance():
    from flexsa.arch import load_arch
    from flexsa.pipeline import simulate_model
    from flexsa.workloads.zoo import build_model

    run = flexsa.simulate("1G1F", "resnet50", batch=16)
    direct = simulate_model(load_arch("1G1F"), build_model("resnet50"), 16)
    assert (run.cycles, run.macs) == (direct.cycles, direct.macs)
    assert run.pe_utilization == pytest.approx(direct.pe_utilization)
    payload = run.as_dict()
    assert payload["version"] == flexsa.__version__
    assert payload["config"]["arch"]["name"] == "1G1F"
    workload = payload["config"]["workload"]
    assert {k: workload[k] for k in ("model", "batch", "gemms")} == {
        "model": "resnet50", "batch": 16, "gemms": len(run.gemms)}
    assert workload["pruning"] is None and workload["phases"] == "all"
    assert payload["config"]["mapping"]["mode_policy"] == "auto"
    assert payload["config"]["memory_system"]["name"] == "ideal"


def test_simulate_gemms_pruning_and_bad_input():
    from flexsa.workloads.layers import Gemm, Phase

    one = flexsa.simulate("1G1C", gemms=[Gemm("g", Phase.FWD, 256, 128, 128)])
    assert one.macs == 256 * 128 * 128 and one.model is None
    dense = flexsa.simulate("1G1F", "resnet50", batch=8)
    pruned = flexsa.simulate("1G1F", "resnet50", batch=8, pruning="low", epoch=80)
    assert pruned.macs < dense.macs
    with pytest.raises(WorkloadError, match="batch"):
        flexsa.simulate("1G1F", "resnet50")
    with pytest.raises(FlexsaError, match="core_rowz"):
        flexsa.simulate("1G1F", "resnet50", batch=8, overrides={"core_rowz": 3})


def test_docs_example_runs(tmp_path, monkeypatch):
    text = DOC.read_text()
    match = re.search(r"<!-- example: executed by tests/test_api.py -->\n```python\n(.*?)```",
                      text, re.S)
    assert match, "runnable example missing from docs/ecosystem.md"
    monkeypatch.chdir(tmp_path)
    exec(compile(match.group(1), str(DOC), "exec"), {})
    assert (tmp_path / "example.sqlite").exists()
    # rerunning the example resumes from the store: nothing is evaluated twice
    frame = flexsa.sweep({"arch": ["1G1C", "1G1F"], "model": ["resnet50"], "batch": [32],
                          "set": {"arch.gbuf_mib": [5, 10]}}, tmp_path / "example.sqlite")
    assert len(frame) == 4


def test_sweep_without_store_returns_a_frame():
    frame = flexsa.sweep({"arch": "1G1C", "model": "resnet50", "batch": 8})
    assert list(frame["arch"]) == ["1G1C"] and int(frame["cycles"].iloc[0]) > 0


def test_flexsa_sweep_stays_callable_after_the_package_is_imported():
    import flexsa.sweeps.engine  # noqa: F401  (binds the package to flexsa.sweep)

    frame = flexsa.sweep({"arch": "1G1C", "model": "resnet50", "batch": 4})
    assert len(frame) == 1


def test_simulate_prunes_an_imported_onnx_model(tmp_path):
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weights = [numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)
               for name, shape in (("w1", (64, 16, 3, 3)), ("w2", (32, 64, 3, 3)))]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["a"], ["r"], name="relu"),
             helper.make_node("Conv", ["r", "w2"], ["y"], name="conv2", pads=[1, 1, 1, 1])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 16, 32, 32])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, None)], weights)
    path = tmp_path / "two.onnx"
    onnx.save(helper.make_model(graph), path)
    dense = flexsa.simulate("1G1F", str(path), batch=8)
    pruned = flexsa.simulate("1G1F", str(path), batch=8, pruning="0.6", epoch=90)
    assert pruned.macs < dense.macs
    assert pruned.model is not None and pruned.model.layer("conv1").cout < 64
