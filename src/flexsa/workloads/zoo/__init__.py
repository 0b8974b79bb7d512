"""The built-in model zoo. ``build_model(name, ...)`` is the single entry point."""

from __future__ import annotations

from collections.abc import Callable

from flexsa.errors import WorkloadError
from flexsa.validation import as_float
from flexsa.workloads.model import Model
from flexsa.workloads.zoo.bert import bert_base
from flexsa.workloads.zoo.inception import inception_v4
from flexsa.workloads.zoo.mobilenet import mobilenet_v2
from flexsa.workloads.zoo.resnet import resnet50

MODEL_BUILDERS: dict[str, Callable[..., Model]] = {
    "resnet50": resnet50,
    "inception_v4": inception_v4,
    "mobilenet_v2": mobilenet_v2,
    "bert_base": bert_base,
}

MODEL_DESCRIPTIONS: dict[str, str] = {
    "resnet50": "torchvision ResNet50 v1.5, 224x224 (knobs: width_mult, resolution)",
    "inception_v4": "Inception v4 (timm), 299x299 (knobs: width_mult, resolution)",
    "mobilenet_v2": "torchvision MobileNet v2, 224x224 (knobs: width_mult, resolution)",
    "bert_base": "BERT-base encoder, 12 layers (knobs: seq_len, width_mult)",
}


def canonical_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    aliases = {"inceptionv4": "inception_v4", "mobilenetv2": "mobilenet_v2",
               "bert": "bert_base", "resnet_50": "resnet50"}
    key = aliases.get(key, key)
    if key not in MODEL_BUILDERS:
        known = ", ".join(MODEL_BUILDERS)
        raise WorkloadError(f"unknown model {name!r}; choose one of: {known}")
    return key


def build_model(name: str, **knobs: object) -> Model:
    """Build a zoo model by name; ``knobs`` go to its builder (``width_mult``, ...)."""
    key = canonical_name(name)
    width_mult = knobs.get("width_mult", 1.0)
    as_float(width_mult, "width multiplier", low=0.0, low_open=True, error=WorkloadError)
    try:
        return MODEL_BUILDERS[key](**knobs)
    except TypeError as err:
        raise WorkloadError(f"model {key!r} does not take these options: {err}") from None


__all__ = ["MODEL_BUILDERS", "MODEL_DESCRIPTIONS", "build_model", "canonical_name"]
