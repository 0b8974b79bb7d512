"""Pydantic schema of a trajectory JSON file (validated at the boundary)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, PositiveInt


class LayerShape(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cin: PositiveInt
    cout: PositiveInt


class IntervalFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    epoch_start: int
    epoch_end: int
    train_flops_ratio: float | None = None
    widths: dict[str, PositiveInt] | None = None
    layers: dict[str, LayerShape] | None = None


class TrajectoryFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str
    strength: str = "file"
    epochs: PositiveInt
    interval: PositiveInt
    seed: int = 0
    target_train_flops_ratio: float | None = None
    intervals: list[IntervalFile]
