"""One door: the Python API, ``flexsa simulate --json`` and a sweep build the same run spec
(:func:`flexsa.pipeline.run_spec`), evaluate it with the same pipeline and give identical
numbers; the builder refuses bad values with one typed error naming the field."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from typer.testing import CliRunner

import flexsa
from flexsa.cli import app
from flexsa.errors import ConfigError, FlexsaError, WorkloadError
from flexsa.pipeline import run_spec
from flexsa.report.output import dumps
from flexsa.sweeps.evaluate import flatten
from flexsa.workloads.layers import Gemm, Phase

RUNNER = CliRunner()
PROVENANCE = ("tool", "version", "config")


def _cli(*args: str) -> dict[str, Any]:
    result = RUNNER.invoke(app, ["simulate", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    return {k: v for k, v in payload.items() if k not in PROVENANCE}


def _api(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """The API's result in its JSON form (``null`` for unbounded, as the CLI prints)."""
    return json.loads(dumps(flexsa.simulate(*args, **kwargs).result.as_dict()))


def test_a_gemm_through_the_api_and_the_cli_is_identical() -> None:
    api = _api("1G1F", gemms=[Gemm("cli", Phase.FWD, 1000, 150, 300)], memory="hbm2")
    assert api == _cli("--arch", "1G1F", "--gemm", "1000,150,300", "--memory", "hbm2")
    assert api["stall_cycles"] > 0 and "simd_cycles" not in api


POINTS = (("4G1F", "ideal"), ("1G1C", "hbm2"))  # resnet50, batch 4, pruned low@50


def test_pruned_models_through_the_api_the_cli_and_a_sweep_are_identical(tmp_path) -> None:
    frame = flexsa.sweep({"arch": ["1G1C", "4G1F"], "model": "resnet50", "batch": 4,
                          "pruning": "low@50", "memory": ["ideal", "hbm2"]},
                         tmp_path / "sweep.sqlite")
    for arch, memory in POINTS:
        api = _api(arch, "resnet50", batch=4, pruning="low", epoch=50, memory=memory)
        cli = _cli("--arch", arch, "--model", "resnet50", "--batch", "4", "--pruning", "low",
                   "--epoch", "50", "--memory", memory)
        assert api == cli
        row = frame[(frame["arch"] == arch) & (frame["memory"] == memory)]
        assert len(row) == 1
        swept = row.iloc[0].to_dict()
        shared = {k: v for k, v in flatten(api).items() if k != "gemms"}
        assert {"cycles", "simd_cycles", "stall_cycles", "energy_pj_total",
                "traffic_bytes_dram_to_gbuf", "waves_by_mode_FW"} <= set(shared)
        for key, value in shared.items():
            assert swept[key] == value, (arch, memory, key)
        assert (memory == "hbm2") == (api["stall_cycles"] > 0)


def test_the_doors_refuse_the_same_inputs(tmp_path) -> None:
    cases = [  # (API keyword arguments, the same request on the CLI)
        ({"gemms": [Gemm("g", Phase.FWD, 8, 8, 8)], "width_mult": 0.5},
         ["--gemm", "8,8,8", "--width-mult", "0.5"]),
        ({"model": "resnet50", "batch": 2, "epoch": 3}, ["--model", "resnet50", "--batch", "2",
                                                         "--epoch", "3"]),
        ({"model": "resnet50", "batch": 2, "pruning": "low"},
         ["--model", "resnet50", "--batch", "2", "--pruning", "low"]),
        ({"model": "resnet50", "batch": 2, "dgrad_form": "rows"},
         ["--model", "resnet50", "--batch", "2", "--dgrad-form", "rows"]),
    ]
    for kwargs, args in cases:
        with pytest.raises(FlexsaError):
            flexsa.simulate("1G1C", **kwargs)
        result = RUNNER.invoke(app, ["simulate", "--arch", "1G1C", *args])
        assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, args
    with pytest.raises(ConfigError, match="resolution"):
        flexsa.sweep({"arch": "1G1C", "model": "resnet50", "batch": 2, "pruning": "low@5",
                      "set": {"model.resolution": [160]}}, tmp_path / "bad.sqlite")
    with pytest.raises(WorkloadError, match="resolution"):
        flexsa.simulate("1G1C", "resnet50", batch=2, pruning="low", epoch=5, resolution=160)


# ------------------------------------------------------------------ run spec validation
@pytest.mark.parametrize(("kwargs", "error", "field"), [
    ({"batch": 0}, WorkloadError, "batch"),
    ({"batch": True}, WorkloadError, "batch"),
    ({"width_mult": math.nan}, WorkloadError, "width_mult"),
    ({"width_mult": 100.0}, WorkloadError, "width_mult"),
    ({"resolution": -1}, WorkloadError, "resolution"),
    ({"phases": "backward"}, WorkloadError, "phase"),
    ({"memory": "bogus"}, ConfigError, "--memory"),
    ({"memory": math.inf}, ConfigError, "--memory"),
    ({"mode_policy": "fastest"}, ConfigError, "mode_policy"),
    ({"dgrad_form": "rows"}, WorkloadError, "dgrad_form"),
    ({"depthwise": "rows"}, WorkloadError, "depthwise"),
    ({"pruning": "medium", "epoch": 3}, WorkloadError, "pruning"),
    ({"pruning": "low"}, WorkloadError, "epoch"),
    ({"pruning": "low", "epoch": -1}, WorkloadError, "epoch"),
    ({"epoch": 5}, WorkloadError, "epoch"),
    ({"pruning": "low", "epoch": 5, "seq_len": 64}, WorkloadError, "seq_len"),
    ({"pack_shape": (0, 128)}, WorkloadError, "pack_shape"),
    ({"model": "nosuchnet"}, WorkloadError, "nosuchnet"),
    ({"model": None}, WorkloadError, "exactly one"),
    ({"gemms": [Gemm("g", Phase.FWD, 8, 8, 8)]}, WorkloadError, "exactly one"),
    ({"overrides": {"core_rowz": 3}}, FlexsaError, "core_rowz"),
])
def test_run_spec_refuses_bad_values_naming_the_field(kwargs, error, field) -> None:
    request = {"model": "resnet50", "batch": 8, **kwargs}
    with pytest.raises(error, match=field) as info:
        run_spec("1G1F", **request)
    assert "\n" not in str(info.value)


def test_gemm_runs_take_no_model_knobs_and_the_cli_names_its_flags() -> None:
    gemm = [Gemm("g", Phase.FWD, 8, 8, 8)]
    for knob, value in (("batch", 4), ("width_mult", 0.5), ("pruning", "low"),
                        ("depthwise", "packed"), ("phases", "fwd")):
        with pytest.raises(WorkloadError, match=f"{knob} applies to model runs only"):
            run_spec("1G1C", gemms=gemm, **{knob: value})
    from flexsa.commands.simulate import _flag

    with pytest.raises(WorkloadError, match="--width-mult must be"):
        run_spec("1G1C", "resnet50", batch=2, width_mult=-1.0, name=_flag)
    with pytest.raises(ConfigError, match="no GEMMs"):
        run_spec("1G1C", gemms=[])


def test_run_spec_is_frozen_typed_and_keeps_one_memory_per_spec() -> None:
    from flexsa.compiler.modes import Mode
    from flexsa.pipeline import ModePolicy, evaluate
    from flexsa.workloads.lowering import DgradForm

    spec = run_spec("1G1F", "resnet50", batch=2, pruning="LOW", epoch=10,
                    mode_policy="TABLE", dgrad_form="implicit", memory=300)
    assert spec.workload.pruning is not None and spec.workload.pruning.strength == "low"
    assert spec.mapping.mode_policy is ModePolicy.TABLE
    assert spec.mapping.dgrad_form is DgradForm.IMPLICIT
    assert spec.memory.name == "300GB/s" and spec.with_memory("ideal").memory.ideal
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.workload.batch = 3  # type: ignore[misc]
    result = evaluate(run_spec("1G1F", gemms=[Gemm("g", Phase.FWD, 300, 40, 500)]))
    assert set(result.waves_by_mode) == set(Mode) and result.waves_by_mode[Mode.VSW] > 0
    assert result.as_dict()["waves_by_mode"]["VSW"] == result.waves_by_mode[Mode.VSW]
