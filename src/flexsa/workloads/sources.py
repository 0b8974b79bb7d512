"""Resolve a ``--model`` argument: a zoo name, or a model file (importers register here)."""

from __future__ import annotations

from pathlib import Path

from flexsa.errors import WorkloadError
from flexsa.paths import input_file
from flexsa.validation import as_float, as_int
from flexsa.workloads.model import Model
from flexsa.workloads.zoo import build_model, canonical_name

MODEL_SUFFIXES = (".onnx", ".csv")  # the importers
MIN_WIDTH_MULT, MAX_WIDTH_MULT = 0.01, 16.0  # beyond these it is no longer the same network


def load_workload(name: str, *, width_mult: float = 1.0, resolution: int = 0,
                  seq_len: int = 0) -> Model:
    """A model by zoo name or file, with the usual knobs (0 means the model's default).

    Pruned models (``--pruning``/``--epoch``) come from the run spec's workload
    (:func:`flexsa.pipeline.stages.load_model`), the one place they are built.
    """
    width_mult = as_float(width_mult, "--width-mult", low=MIN_WIDTH_MULT, high=MAX_WIDTH_MULT,
                          error=WorkloadError)
    as_int(resolution, "--resolution (0: default)", low=0, limit="resolution",
           error=WorkloadError)
    as_int(seq_len, "--seq-len (0: default)", low=0, limit="seq_len", error=WorkloadError)
    path = Path(name)
    if path.suffix.lower() in MODEL_SUFFIXES or path.is_dir() or (path.suffix and path.exists()):
        input_file(path, "model file", WorkloadError)
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
