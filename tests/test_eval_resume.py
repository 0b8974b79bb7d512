"""``reproduce flexsa`` through the runner: stored as each unit finishes; reruns resume;
other settings are refused; --force starts over; filters reuse the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flexsa.errors import ConfigError
from flexsa.report.evaluation.matrix import EvalSettings
from flexsa.runner import RunStore, prepare_out_dir
from flexsa.studies.flexsa import identity, reproduce, stored_count
from tests.eval_fakes import FakeBackend

SETTINGS = EvalSettings(models=("resnet50",), configs=("1G1C", "1G1F"), memories=("ideal",),
                        studies=("main",))
# resnet50_dense (1 interval) + low and high (3 intervals each), 2 configs, 1 memory
EXPECTED = (1 + 3 + 3) * 2


class Interrupt(Exception):
    pass


class Dying(FakeBackend):
    """Raises (like a Ctrl-C) on its ``after+1``-th simulation."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def simulate(self, *args: object, **kwargs: object) -> object:  # type: ignore[override]
        if len(self.simulated) == self.after:
            raise Interrupt
        return super().simulate(*args, **kwargs)  # type: ignore[arg-type]


def _interrupted_run(out: Path, after: int, settings: EvalSettings = SETTINGS) -> None:
    with pytest.raises(Interrupt):
        reproduce(settings, out, Dying(after), progress=False, write_figures=False)


def test_interrupted_run_keeps_results_and_resumes_with_the_same_summary(tmp_path: Path
                                                                         ) -> None:
    whole = reproduce(SETTINGS, tmp_path / "a", FakeBackend(), progress=False,
                      write_figures=False).summary
    out = tmp_path / "b"
    _interrupted_run(out, after=5)
    assert stored_count(out) == 5 and not (out / "summary.json").exists()
    backend = FakeBackend()
    outcome = reproduce(SETTINGS, out, backend, progress=False, write_figures=False)
    assert (outcome.new_records, outcome.reused_records) == (EXPECTED - 5, 5)
    assert len(backend.simulated) == EXPECTED - 5
    assert outcome.summary["runs"] == whole["runs"]
    with open(out / "runs.csv") as handle:
        assert len(list(csv.DictReader(handle))) == EXPECTED
    again = FakeBackend()
    assert reproduce(SETTINGS, out, again, progress=False,
                     write_figures=False).new_records == 0 and again.simulated == []


def test_force_starts_over(tmp_path: Path) -> None:
    reproduce(SETTINGS, tmp_path, FakeBackend(), progress=False, write_figures=False)
    backend = FakeBackend()
    outcome = reproduce(SETTINGS, tmp_path, backend, force=True, progress=False,
                        write_figures=False)
    assert outcome.new_records == EXPECTED and len(backend.simulated) == EXPECTED


def test_other_settings_refuse_to_mix(tmp_path: Path) -> None:
    reproduce(SETTINGS, tmp_path, FakeBackend(), progress=False, write_figures=False)
    other = EvalSettings(models=("resnet50",), configs=("1G1C",), memories=("ideal",),
                         studies=("main",), seed=7)
    backend = FakeBackend()
    with pytest.raises(ConfigError, match="--force") as err:
        reproduce(other, tmp_path, backend, progress=False, write_figures=False)
    assert "\n" not in str(err.value) and backend.simulated == []
    assert (tmp_path / "summary.json").exists()   # refused before anything changed


def test_unwritable_out_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="--out"):
        prepare_out_dir(blocker)
    with pytest.raises(ConfigError, match="--out"):
        prepare_out_dir(blocker / "sub")


def test_rerun_with_other_filters_reuses_the_store_and_keeps_outputs_in_agreement(
        tmp_path: Path) -> None:
    """Issue 15: a rerun into an old --out with other --configs merges explicitly."""
    out = tmp_path / "out"
    wide = EvalSettings(models=("resnet50",), configs=("1G1C", "1G4C", "1G1F"),
                        memories=("ideal",), studies=("main",))
    reproduce(wide, out, FakeBackend(), progress=False, write_figures=False)
    backend = FakeBackend()
    narrow = reproduce(SETTINGS, out, backend, progress=False, write_figures=False)
    assert narrow.new_records == 0 and narrow.reused_records == EXPECTED
    assert backend.simulated == []
    with open(out / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    summary = json.loads((out / "summary.json").read_text())
    assert {r["config"] for r in rows} == {"1G1C", "1G1F"} == set(summary["config"]["settings"]
                                                                  ["configs"]) | {"1G1C"}
    assert len(rows) == EXPECTED
    assert stored_count(out) == (1 + 3 + 3) * 3  # the store keeps every run


def test_killed_rerun_leaves_no_summary_of_another_selection(tmp_path: Path) -> None:
    out = tmp_path / "out"
    reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    assert (out / "summary.json").exists()
    other = EvalSettings(models=("resnet50",), configs=("1G1C", "4G1F"), memories=("ideal",),
                         studies=("main",))
    _interrupted_run(out, after=0, settings=other)
    assert not (out / "summary.json").exists()


def test_second_writer_into_the_same_out_refuses(tmp_path: Path) -> None:
    out = prepare_out_dir(tmp_path / "out")
    with RunStore(out / "runs.sqlite", identity(SETTINGS)):
        with pytest.raises(ConfigError, match="being written by another running"):
            reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
        with pytest.raises(ConfigError, match="being written by another running"):
            reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False,
                      force=True)   # --force does not delete a store being written
    outcome = reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    assert outcome.new_records == EXPECTED


def test_beyond_paper_study_is_one_stored_task(tmp_path: Path) -> None:
    import numpy as np

    calls: list[str] = []

    def extra(backend: object, settings: EvalSettings) -> dict:
        calls.append(settings.models[0])
        return {"beyond_paper": {"pair": (1, 2), "ratio": np.float64(0.5)}}

    first = reproduce(SETTINGS, tmp_path, FakeBackend(), progress=False, write_figures=False,
                      extra=extra)
    again = reproduce(SETTINGS, tmp_path, FakeBackend(), progress=False, write_figures=False,
                      extra=extra)
    assert first.summary["beyond_paper"] == again.summary["beyond_paper"] == \
        {"pair": [1, 2], "ratio": 0.5}
    assert calls == ["resnet50"]   # the rerun reads it from the store
