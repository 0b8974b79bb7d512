"""Results journaled as each run finishes; reruns resume; --force starts over."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flexsa.errors import ConfigError
from flexsa.report.evaluation.journal import JOURNAL, Journal, read_journal
from flexsa.report.evaluation.matrix import EvalSettings
from flexsa.report.evaluation.pipeline import prepare_out_dir, reproduce
from flexsa.report.evaluation.runner import execute
from tests.eval_fakes import FakeBackend

SETTINGS = EvalSettings(models=("resnet50",), configs=("1G1C", "1G1F"), memories=("ideal",),
                        studies=("main",))
# resnet50_dense (1 interval) + low and high (3 intervals each), 2 configs, 1 memory
EXPECTED = (1 + 3 + 3) * 2


class Interrupt(Exception):
    pass


def _interrupted_run(out: Path, after: int) -> None:
    """Run until ``after`` records are journaled, then fail like a Ctrl-C."""
    count = 0

    def stop(_record: object) -> None:
        nonlocal count
        count += 1
        if count == after:
            raise Interrupt

    prepare_out_dir(out)
    with Journal(out) as journal, pytest.raises(Interrupt):
        done = journal.open(SETTINGS.fingerprint(), force=False)
        execute(SETTINGS, FakeBackend(), journal, set(done), progress=False, on_record=stop)


def test_interrupted_run_leaves_results_readable_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _interrupted_run(out, after=5)
    assert len(read_journal(out / JOURNAL)) == 5
    with open(out / "runs.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 5
    # a torn last line (killed mid-write) is ignored and dropped on resume
    with open(out / JOURNAL, "a") as handle:
        handle.write('{"key": "main/resnet50_low/9/1G1')
    backend = FakeBackend()
    outcome = reproduce(SETTINGS, out, backend, progress=False, write_figures=False)
    assert outcome.new_records == EXPECTED - 5
    assert outcome.reused_records == 5
    assert len(backend.simulated) == EXPECTED - 5
    assert len(read_journal(out / JOURNAL)) == EXPECTED
    lines = (out / JOURNAL).read_text().splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == EXPECTED
    with open(out / "runs.csv") as handle:
        assert len(list(csv.DictReader(handle))) == EXPECTED


def test_resume_gives_the_same_summary_and_rerun_simulates_nothing(tmp_path: Path) -> None:
    whole = reproduce(SETTINGS, tmp_path / "a", FakeBackend(), progress=False,
                      write_figures=False).summary
    _interrupted_run(tmp_path / "b", after=3)
    resumed = reproduce(SETTINGS, tmp_path / "b", FakeBackend(), progress=False,
                        write_figures=False).summary
    assert resumed["runs"] == whole["runs"]
    backend = FakeBackend()
    again = reproduce(SETTINGS, tmp_path / "b", backend, progress=False, write_figures=False)
    assert backend.simulated == [] and again.new_records == 0


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
    with pytest.raises(ConfigError, match="--force"):
        reproduce(other, tmp_path, FakeBackend(), progress=False, write_figures=False)


def test_filters_reuse_a_bigger_run(tmp_path: Path) -> None:
    reproduce(SETTINGS, tmp_path, FakeBackend(), progress=False, write_figures=False)
    backend = FakeBackend()
    smaller = EvalSettings(models=("resnet50",), configs=("1G1F",), memories=("ideal",),
                           studies=("main",))
    outcome = reproduce(smaller, tmp_path, backend, progress=False, write_figures=False)
    assert backend.simulated == []
    assert set(outcome.summary["runs"]["resnet50_low"]["ideal_pe_utilization"]) == \
        {"1G1C", "1G1F"}


def test_unwritable_out_dir(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="--out"):
        prepare_out_dir(blocker)
    with pytest.raises(ConfigError, match="--out"):
        prepare_out_dir(blocker / "sub")


def test_rerun_with_other_filters_keeps_runs_csv_and_summary_in_agreement(
        tmp_path: Path) -> None:
    """Issue 15: a rerun into an old --out with other --configs merges explicitly."""
    out = tmp_path / "out"
    wide = EvalSettings(models=("resnet50",), configs=("1G1C", "1G4C", "1G1F"),
                        memories=("ideal",), studies=("main",))
    reproduce(wide, out, FakeBackend(), progress=False, write_figures=False)
    narrow = reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    assert narrow.new_records == 0 and narrow.reused_records == EXPECTED
    with open(out / "runs.csv") as handle:
        rows = list(csv.DictReader(handle))
    summary = json.loads((out / "summary.json").read_text())
    assert {r["config"] for r in rows} == {"1G1C", "1G1F"} == set(summary["config"]["settings"]
                                                                  ["configs"]) | {"1G1C"}
    assert len(rows) == EXPECTED
    assert len(read_journal(out / JOURNAL)) == (1 + 3 + 3) * 3  # the cache keeps every run


def test_killed_rerun_leaves_no_summary_of_another_selection(tmp_path: Path) -> None:
    out = tmp_path / "out"
    reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    assert (out / "summary.json").exists()
    other = EvalSettings(models=("resnet50",), configs=("1G1C", "4G1F"), memories=("ideal",),
                         studies=("main",))

    class Killed(Exception):
        pass

    class Dying(FakeBackend):
        def simulate(self, *args: object, **kwargs: object) -> object:
            raise Killed

    with pytest.raises(Killed):
        reproduce(other, out, Dying(), progress=False, write_figures=False)
    assert not (out / "summary.json").exists()


def test_second_writer_into_the_same_out_refuses(tmp_path: Path) -> None:
    out = tmp_path / "out"
    prepare_out_dir(out)
    with Journal(out) as journal:
        journal.open(SETTINGS.fingerprint(), force=False)
        with pytest.raises(ConfigError, match="being written by another running"):
            reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    outcome = reproduce(SETTINGS, out, FakeBackend(), progress=False, write_figures=False)
    assert outcome.new_records == EXPECTED
