"""The shared field validators (flexsa.validation) and the records that use them.

Every bad value gets one line naming the field, of the caller's exception type (so the CLI
exits 2); ``strict`` validators (typed records) refuse integral floats such as 4.0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from flexsa.errors import ConfigError, FlexsaError, WorkloadError
from flexsa.validation import as_float, as_int, int_text, non_negative, positive

NOT_INTEGERS = [True, False, 4.5, math.nan, math.inf, -math.inf, "4", None, [4]]


@pytest.mark.parametrize("value", NOT_INTEGERS)
@pytest.mark.parametrize("strict", [False, True])
def test_non_integers_are_refused_with_the_field_name(value: object, strict: bool) -> None:
    with pytest.raises(ConfigError) as err:
        positive(value, "rows", error=ConfigError, strict=strict)
    text = str(err.value)
    assert text.startswith("rows must be an integer >= 1, got ") and "\n" not in text


@pytest.mark.parametrize("value", [0, -1, -(10**30)])
def test_out_of_range_integers_are_refused(value: int) -> None:
    with pytest.raises(WorkloadError, match=rf"^batch must be an integer >= 1, got {value}$"):
        positive(value, "batch", error=WorkloadError)
    if value < 0:
        with pytest.raises(FlexsaError, match=r"^--epoch must be an integer >= 0"):
            non_negative(value, "--epoch")
    assert non_negative(0, "--epoch") == 0


def test_strict_refuses_integral_floats_the_default_accepts_them() -> None:
    assert positive(4.0, "alpha") == 4 and type(positive(4.0, "alpha")) is int
    with pytest.raises(FlexsaError, match=r"^alpha must be an integer >= 1, got 4\.0$"):
        positive(4.0, "alpha", strict=True)
    with pytest.raises(FlexsaError, match=r"in \[0, 90\], got 4\.0$"):
        as_int(4.0, "--epoch", low=0, high=90, strict=True)


def test_numpy_integers_are_integers_and_limits_apply() -> None:
    assert positive(np.int64(7), "cols", strict=True) == 7
    assert type(as_int(np.int32(3), "n")) is int
    with pytest.raises(ConfigError, match="exceeds the limit .* FLEXSA_MAX_ARRAY_DIM"):
        positive(10**9, "core_rows", limit="array_dim", error=ConfigError)


@pytest.mark.parametrize("value", [True, math.nan, math.inf, -math.inf, "0.5", None, 0.0, -1])
def test_as_float_refuses_non_finite_bool_text_and_out_of_range(value: object) -> None:
    with pytest.raises(WorkloadError) as err:
        as_float(value, "--width-mult", low=0.0, low_open=True, high=1.0, error=WorkloadError)
    assert str(err.value).startswith("--width-mult must be a finite number in (0, 1], got ")
    assert as_float(1, "--width-mult", low=0.0, low_open=True, high=1.0) == 1.0


@pytest.mark.parametrize(("text", "shown"), [("four", "'four'"), ("", "''"), ("4.0", "'4.0'"),
                                             ("\u0663", "'\u0663'"), ("0", "0"), ("-3", "-3")])
def test_int_text_parses_ascii_decimal_only(text: str, shown: str) -> None:
    with pytest.raises(WorkloadError, match=rf"^line 2: N must be an integer >= 1, got {shown}$"):
        int_text(text, "line 2: N", low=1, error=WorkloadError)
    assert int_text(" 12 ", "N", low=1) == 12


def test_records_use_the_strict_validators() -> None:
    """Modules that refused 4.0 before the consolidation still do (same exception type)."""
    from flexsa.packing import ArrayShape, PackingConfig, PackingError
    from flexsa.workloads.layers import Gemm, Phase
    from flexsa.workloads.lowering import lower_layer
    from flexsa.workloads.zoo import build_model

    with pytest.raises(WorkloadError, match=r"GEMM of 'g': m must be an integer >= 1, got 4\.0"):
        Gemm("g", Phase.FWD, 4.0, 2, 2)  # type: ignore[arg-type]
    with pytest.raises(PackingError, match=r"^array rows must be an integer >= 1, got True$"):
        ArrayShape(True, 4)
    with pytest.raises(PackingError, match=r"^alpha must be an integer >= 1, got 8\.0$"):
        PackingConfig(alpha=8.0)  # type: ignore[arg-type]
    with pytest.raises(PackingError, match=r"^gamma must be a finite number >= 0, got nan$"):
        PackingConfig(gamma=math.nan)
    layer = build_model("resnet50").gemm_layers[0]
    with pytest.raises(WorkloadError, match=r"^batch must be an integer >= 1, got 0$"):
        lower_layer(layer, 0)
    with pytest.raises(WorkloadError, match=r"^width multiplier must be a finite number > 0"):
        build_model("resnet50", width_mult=math.nan)
