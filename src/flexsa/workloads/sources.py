"""Resolve a ``--model`` argument: a zoo name, or a model file (importers register here)."""

from __future__ import annotations

from pathlib import Path

from flexsa.errors import WorkloadError
from flexsa.workloads.model import Model
from flexsa.workloads.zoo import build_model, canonical_name


def load_workload(name: str, *, width_mult: float = 1.0, resolution: int = 0,
                  seq_len: int = 0) -> Model:
    """A model by zoo name, with the usual knobs (0 means the model's default)."""
    if width_mult <= 0:
        raise WorkloadError(f"--width-mult must be > 0, got {width_mult}")
    if resolution < 0 or seq_len < 0:
        raise WorkloadError("--resolution and --seq-len must be >= 0 (0 = default)")
    path = Path(name)
    if path.suffix and path.suffix != "" and path.exists():
        return _load_file(path, width_mult)
    key = canonical_name(name)
    knobs: dict[str, object] = {"width_mult": width_mult}
    if resolution:
        if key == "bert_base":
            raise WorkloadError("bert_base takes --seq-len, not --resolution")
        knobs["resolution"] = resolution
    if seq_len:
        if key != "bert_base":
            raise WorkloadError(f"{key} takes --resolution, not --seq-len")
        knobs["seq_len"] = seq_len
    return build_model(key, **knobs)


def _load_file(path: Path, width_mult: float) -> Model:
    """A model file: ``.onnx`` (ONNX import; unsupported ops raise a warning naming them) or
    a SCALE-Sim topology ``.csv`` (one layer per row, no channel graph)."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from flexsa.workloads.importers.onnx_import import load_onnx_model

        model: Model = load_onnx_model(path)
    elif suffix == ".csv":
        if width_mult != 1.0:
            raise WorkloadError("--width-mult needs a channel graph; a topology CSV has none "
                                "(use a zoo model or an ONNX file)")
        from flexsa.workloads.importers.topology import topology_model

        return topology_model(path)
    else:
        raise WorkloadError(f"cannot read model file {str(path)!r}: no importer for "
                            f"{path.suffix!r} (use .onnx or a SCALE-Sim topology .csv)")
    return model if width_mult == 1.0 else model.scaled(width_mult)
