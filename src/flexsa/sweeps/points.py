"""Sweep points: one element of the spec's cross product, with a stable identity."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

from flexsa.errors import ConfigError, FlexsaError
from flexsa.sweeps.spec import SCALAR, Entry, Pruning, SweepSpec


@dataclass(frozen=True)
class Point:
    """One simulation of a sweep."""

    index: int
    arch: Entry
    model: Entry
    batch: int
    pruning: Pruning
    memory: str | float
    overrides: tuple[tuple[str, SCALAR], ...] = ()
    phases: str = "all"
    dgrad_form: str = "split"

    def params(self) -> dict[str, Any]:
        """The point's parameters as written in the spec (the store's row key)."""
        out: dict[str, Any] = {"arch": self.arch.label, "model": self.model.label,
                               "batch": self.batch, "pruning": self.pruning.label,
                               "memory": self.memory}
        out.update({key: value for key, value in self.overrides})
        return out

    @property
    def point_id(self) -> str:
        text = json.dumps({**self.params(), "phases": self.phases,
                           "dgrad_form": self.dgrad_form}, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:20]

    def arch_overrides(self) -> dict[str, SCALAR]:
        return {key.removeprefix("arch."): value for key, value in self.overrides
                if key.startswith("arch.")}

    def model_knobs(self) -> dict[str, SCALAR]:
        return {key.removeprefix("model."): value for key, value in self.overrides
                if key.startswith("model.")}


def expand(spec: SweepSpec) -> list[Point]:
    """The cross product in a fixed order (arch, model, batch, pruning, memory, set...)."""
    keys = [key for key, _ in spec.overrides]
    value_lists = [values for _, values in spec.overrides]
    points = []
    axes = itertools.product(spec.arch, spec.model, spec.batch, spec.pruning, spec.memory,
                             itertools.product(*value_lists))
    for index, (arch, model, batch, pruning, memory, values) in enumerate(axes):
        points.append(Point(index, arch, model, batch, pruning, memory,
                            tuple(zip(keys, values, strict=True)), spec.phases,
                            spec.dgrad_form))
    return points


def check_points(points: list[Point]) -> None:
    """Build every point's run spec (arch configs once): a bad value, a knob combination the
    pipeline refuses or an unsupported memory setting fails before anything runs."""
    from flexsa.sweeps.evaluate import point_spec

    for point in points:
        try:
            point_spec(point)
        except FlexsaError as err:
            raise ConfigError(f"sweep point {point.params()}: {err}") from None
