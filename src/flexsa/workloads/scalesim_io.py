"""Read and write SCALE-Sim v3 inputs: ``.cfg`` files and topology CSVs.

Conventions are SCALE-Sim's own (``scalesim/scale_config.py``, ``scalesim/topology_utils.py``
of version 3.0.0):

* **conv topology** rows ``Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
  Channels, Num Filter, Strides[, N:M sparsity]``. There is no padding column: a padded
  convolution is written with the padded IFMAP size. The output size is
  ``ceil((ifmap - filter + stride) / stride)`` per axis, i.e. *ceil* mode: a last window that
  overhangs the edge still counts (PyTorch's floor mode drops it). The same stride is used on
  both axes, and the GEMM is ``M = ofmap_h * ofmap_w``, ``N = Num Filter``,
  ``K = Filter Height * Filter Width * Channels``.
* a layer whose name contains ``DP`` is depthwise: SCALE-Sim runs it ``Channels`` times with
  one channel each; here that is one record with ``copies = Channels`` and ``channels = 1``.
* **GEMM topology** rows ``Layer, M, N, K[, N:M]``; SCALE-Sim stores them as a conv layer
  ``ifmap M x K``, ``filter 1 x K``, one channel, ``N`` filters, so the GEMM is ``M, N, K``.
* SCALE-Sim drops the last field of every row (its rows end with a comma); this reader
  drops one trailing empty field instead, so rows with or without the final comma read the
  same. The sparsity column is accepted and ignored (sparsity is not modelled).
"""

from __future__ import annotations

import configparser
import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from flexsa.errors import ConfigError, WorkloadError
from flexsa.validation import as_int, int_text, positive
from flexsa.workloads.layers import ConvLayer, Gemm, LinearLayer, MatMulLayer, Phase
from flexsa.workloads.model import Model

DATAFLOWS: tuple[str, ...] = ("is", "ws", "os")
TopologyForm = Literal["auto", "conv", "gemm"]

CONV_HEADER: tuple[str, ...] = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height",
                                "Filter Width", "Channels", "Num Filter", "Strides")
GEMM_HEADER: tuple[str, ...] = ("Layer", "M", "N", "K")


# --------------------------------------------------------------------------- config files


@dataclass(frozen=True)
class ScaleSimConfig:
    """The knobs of a SCALE-Sim ``.cfg`` file (SCALE-Sim's defaults where a key is absent).

    Only ``array_rows``, ``array_cols`` and ``dataflow`` affect the compute cycles this
    toolkit reproduces; the SRAM sizes, offsets, bandwidths and request buffers are kept so
    the result carries the full config. ``core_rows``/``core_cols`` let the config stand in
    for an accelerator config in :func:`flexsa.sim.scalesim.simulate_scalesim`.
    """

    run_name: str = "scale_run"
    array_rows: int = 4
    array_cols: int = 4
    dataflow: str = "ws"
    ifmap_sram_kb: int = 256
    filter_sram_kb: int = 256
    ofmap_sram_kb: int = 128
    ifmap_offset: int = 0
    filter_offset: int = 10000000
    ofmap_offset: int = 20000000
    interface_bandwidth: str = "CALC"
    bandwidths: tuple[int, ...] = (10,)
    read_request_buffer: int = 60
    write_request_buffer: int = 60
    sparsity_support: bool = False
    topology_path: str = ""

    def __post_init__(self) -> None:
        for name in ("array_rows", "array_cols"):
            positive(getattr(self, name), name, error=ConfigError, strict=True)
        if self.dataflow not in DATAFLOWS:
            raise ConfigError(f"dataflow must be one of is, ws, os; got {self.dataflow!r}")
        if self.interface_bandwidth not in ("CALC", "USER"):
            raise ConfigError("InterfaceBandwidth must be CALC or USER, "
                              f"got {self.interface_bandwidth!r}")

    @property
    def core_rows(self) -> int:
        return self.array_rows

    @property
    def core_cols(self) -> int:
        return self.array_cols

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["bandwidths"] = list(self.bandwidths)
        return out


# (section, key, field, kind); keys are case-insensitive in configparser, like SCALE-Sim.
_CONFIG_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("general", "run_name", "run_name", "str"),
    ("architecture_presets", "ArrayHeight", "array_rows", "int"),
    ("architecture_presets", "ArrayWidth", "array_cols", "int"),
    ("architecture_presets", "IfmapSramSzkB", "ifmap_sram_kb", "int"),
    ("architecture_presets", "FilterSramSzkB", "filter_sram_kb", "int"),
    ("architecture_presets", "OfmapSramSzkB", "ofmap_sram_kb", "int"),
    ("architecture_presets", "IfmapOffset", "ifmap_offset", "int"),
    ("architecture_presets", "FilterOffset", "filter_offset", "int"),
    ("architecture_presets", "OfmapOffset", "ofmap_offset", "int"),
    ("architecture_presets", "Dataflow", "dataflow", "str"),
    ("architecture_presets", "ReadRequestBuffer", "read_request_buffer", "int"),
    ("architecture_presets", "WriteRequestBuffer", "write_request_buffer", "int"),
    ("architecture_presets", "Bandwidth", "bandwidths", "ints"),
    ("run_presets", "InterfaceBandwidth", "interface_bandwidth", "str"),
    ("sparsity", "SparsitySupport", "sparsity_support", "bool"),
    ("network_presets", "TopologyCsvLoc", "topology_path", "path"),
)
_REQUIRED = {"array_rows", "array_cols", "dataflow"}


def read_scalesim_config(path: str | Path) -> ScaleSimConfig:
    """Parse a SCALE-Sim ``.cfg`` file; every problem is one line naming the key."""
    from flexsa.paths import read_text

    source = Path(path)
    return parse_scalesim_config(read_text(source, "SCALE-Sim config", ConfigError), str(source))


def parse_scalesim_config(text: str, origin: str = "<config>") -> ScaleSimConfig:
    """Parse the text of a SCALE-Sim ``.cfg`` file (``origin`` names it in errors)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=origin)
    except configparser.Error as err:
        first = str(err).splitlines()[0]
        raise ConfigError(f"{origin}: not a valid SCALE-Sim config: {first}") from None
    values: dict[str, object] = {}
    for section, key, name, kind in _CONFIG_KEYS:
        if not parser.has_option(section, key):
            if name in _REQUIRED:
                raise ConfigError(f"{origin}: [{section}] {key} is missing; add it "
                                  "(e.g. ArrayHeight: 32, ArrayWidth: 32, Dataflow: os)")
            continue
        raw = parser.get(section, key).strip()
        where = f"{origin}: [{section}] {key}"
        values[name] = _check_number(name, _convert(raw, kind, where), where)
    if "dataflow" in values:
        values["dataflow"] = str(values["dataflow"]).lower()
        if values["dataflow"] not in DATAFLOWS:
            raise ConfigError(f"{origin}: [architecture_presets] Dataflow must be one of is, ws, "
                              f"os; got {values['dataflow']!r}")
    if values.get("sparsity_support"):
        raise ConfigError(f"{origin}: [sparsity] SparsitySupport = true is not supported; "
                          "set it to false")
    return ScaleSimConfig(**values)  # type: ignore[arg-type]


def _check_number(name: str, value: object, where: str) -> object:
    """The user's key names in errors (``ArrayHeight``, not ``array_rows``)."""
    if name in ("array_rows", "array_cols"):
        return as_int(value, where, low=1, limit="array_dim", error=ConfigError)
    if name == "bandwidths":
        assert isinstance(value, tuple)
        return tuple(as_int(v, where, low=1, error=ConfigError) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return as_int(value, where, low=0, limit="buffer_elems", error=ConfigError)
    return value


def _convert(raw: str, kind: str, where: str) -> object:
    if kind == "str":
        return raw.strip('"').strip()
    if kind == "path":
        return raw.strip().strip('"')
    if kind == "bool":
        if raw.lower() not in ("true", "false"):
            raise ConfigError(f"{where} must be true or false, got {raw!r}")
        return raw.lower() == "true"
    if kind == "ints":
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        return tuple(_to_int(p, where) for p in parts)
    return _to_int(raw, where)


def _to_int(raw: str, where: str) -> int:
    return int_text(raw, where, error=ConfigError)


def format_scalesim_config(config: ScaleSimConfig) -> str:
    """The text of a complete SCALE-Sim v3 ``.cfg`` file that SCALE-Sim itself can read."""
    bandwidth = ",".join(str(b) for b in config.bandwidths) or "10"
    lines = [
        "[general]", f"run_name = {config.run_name}", "",
        "[architecture_presets]",
        f"ArrayHeight: {config.array_rows}", f"ArrayWidth: {config.array_cols}",
        f"IfmapSramSzkB: {config.ifmap_sram_kb}", f"FilterSramSzkB: {config.filter_sram_kb}",
        f"OfmapSramSzkB: {config.ofmap_sram_kb}", f"IfmapOffset: {config.ifmap_offset}",
        f"FilterOffset: {config.filter_offset}", f"OfmapOffset: {config.ofmap_offset}",
        f"Bandwidth: {bandwidth}", f"Dataflow: {config.dataflow}", "MemoryBanks: 1",
        f"ReadRequestBuffer: {config.read_request_buffer}",
        f"WriteRequestBuffer: {config.write_request_buffer}", "",
        "[layout]", "IfmapCustomLayout: False", "IfmapSRAMBankBandwidth: 10",
        "IfmapSRAMBankNum: 10", "IfmapSRAMBankPort: 2", "FilterCustomLayout: False",
        "FilterSRAMBankBandwidth: 10", "FilterSRAMBankNum: 10", "FilterSRAMBankPort: 2", "",
        "[sparsity]", "SparsitySupport: false", "SparseRep: ellpack_block",
        "OptimizedMapping: false", "BlockSize: 8", "RandomNumberGeneratorSeed: 40", "",
        "[run_presets]", f"InterfaceBandwidth: {config.interface_bandwidth}",
        "UseRamulatorTrace: False", "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- topologies


@dataclass(frozen=True)
class TopologyLayer:
    """One SCALE-Sim topology row in its conv form, run ``copies`` times (depthwise ``DP``)."""

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filters: int
    stride_h: int = 1
    stride_w: int = 1
    copies: int = 1
    sparsity: str = field(default="1:1", compare=False)

    def __post_init__(self) -> None:
        owner = f"topology layer {self.name!r}"
        for name in ("ifmap_h", "ifmap_w", "filter_h", "filter_w", "channels", "num_filters",
                     "stride_h", "stride_w", "copies"):
            positive(getattr(self, name), f"{owner}: {name}", error=WorkloadError, strict=True)
        if self.filter_h > self.ifmap_h or self.filter_w > self.ifmap_w:
            raise WorkloadError(
                f"{owner}: filter {self.filter_h}x{self.filter_w} is larger than the IFMAP "
                f"{self.ifmap_h}x{self.ifmap_w}; SCALE-Sim has no padding column, so write "
                "the padded IFMAP size")

    @property
    def ofmap_h(self) -> int:
        return math.ceil((self.ifmap_h - self.filter_h + self.stride_h) / self.stride_h)

    @property
    def ofmap_w(self) -> int:
        return math.ceil((self.ifmap_w - self.filter_w + self.stride_w) / self.stride_w)

    @property
    def gemm_m(self) -> int:
        return self.ofmap_h * self.ofmap_w

    @property
    def gemm_n(self) -> int:
        return self.num_filters

    @property
    def gemm_k(self) -> int:
        return self.filter_h * self.filter_w * self.channels

    @property
    def macs(self) -> int:
        return self.gemm_m * self.gemm_n * self.gemm_k * self.copies

    def to_gemm(self) -> Gemm:
        """The forward GEMM SCALE-Sim runs for this row (``groups`` = depthwise copies)."""
        return Gemm(self.name, Phase.FWD, self.gemm_m, self.gemm_n, self.gemm_k, self.copies)

    @classmethod
    def from_gemm_dims(cls, name: str, m: int, n: int, k: int, copies: int = 1) -> TopologyLayer:
        """SCALE-Sim's own encoding of a GEMM row: IFMAP ``m x k``, filter ``1 x k``."""
        return cls(name, m, k, 1, k, 1, n, 1, 1, copies)


def read_topology(path: str | Path, form: TopologyForm = "auto") -> list[TopologyLayer]:
    """Read a SCALE-Sim topology CSV (conv or ``Layer, M, N, K`` form)."""
    from flexsa.paths import read_text

    source = Path(path)
    return parse_topology(read_text(source, "topology file", WorkloadError), str(source), form)


def parse_topology(text: str, origin: str = "<topology>",
                   form: TopologyForm = "auto") -> list[TopologyLayer]:
    """Parse topology CSV text; the form is detected from the header when ``auto``."""
    rows = [(number, _cells(line)) for number, line in enumerate(text.splitlines(), start=1)
            if line.strip()]
    if not rows:
        raise WorkloadError(f"{origin}: empty topology file; add a header and one row per layer")
    _, header = rows[0]
    chosen = _detect_form(header, origin) if form == "auto" else form
    if chosen not in ("conv", "gemm"):
        raise WorkloadError(f"topology form must be auto, conv or gemm, got {form!r}")
    layers = [_parse_row(cells, chosen, f"{origin} line {number}") for number, cells in rows[1:]]
    if not layers:
        raise WorkloadError(f"{origin}: no layers after the header")
    return layers


def _cells(line: str) -> list[str]:
    cells = [cell.strip() for cell in next(csv.reader([line]))]
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _detect_form(header: list[str], origin: str) -> str:
    keys = [cell.strip().lower() for cell in header]
    if len(keys) >= 4 and keys[1:4] == ["m", "n", "k"]:
        return "gemm"
    if len(keys) >= 8 and "ifmap" in keys[1]:
        return "conv"
    raise WorkloadError(
        f"{origin}: header {','.join(header)!r} is neither the conv form "
        f"({', '.join(CONV_HEADER)}) nor the GEMM form ({', '.join(GEMM_HEADER)})")


def _parse_row(cells: list[str], form: str, where: str) -> TopologyLayer:
    columns = CONV_HEADER if form == "conv" else GEMM_HEADER
    if len(cells) < len(columns) or len(cells) > len(columns) + 1:
        raise WorkloadError(f"{where}: expected {len(columns)} fields ({', '.join(columns)}) "
                            f"plus an optional N:M sparsity, got {len(cells)}")
    name = cells[0]
    if not name:
        raise WorkloadError(f"{where}: empty layer name")
    numbers = [_positive_field(cell, column, where)
               for cell, column in zip(cells[1:len(columns)], columns[1:], strict=True)]
    sparsity = cells[len(columns)] if len(cells) > len(columns) else "1:1"
    _check_sparsity(sparsity, where)
    if form == "gemm":
        m, n, k = numbers
        return TopologyLayer.from_gemm_dims(name, m, n, k)
    ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride = numbers
    copies = 1
    if "DP" in name:  # SCALE-Sim's depthwise convention: Channels runs of one channel
        copies, channels = channels, 1
    try:
        return TopologyLayer(name, ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters,
                             stride, stride, copies, sparsity)
    except WorkloadError as err:
        raise WorkloadError(f"{where}: {err}") from None


def _positive_field(cell: str, column: str, where: str) -> int:
    return int_text(cell, f"{where}: {column}", low=1, error=WorkloadError)


def _check_sparsity(text: str, where: str) -> None:
    parts = text.split(":")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise WorkloadError(f"{where}: sparsity must look like N:M (e.g. 1:1), got {text!r}")


def topology_gemms(layers: Iterable[TopologyLayer]) -> list[Gemm]:
    """The forward GEMMs SCALE-Sim runs for a topology."""
    return [layer.to_gemm() for layer in layers]


# --------------------------------------------------------------------------- writing


def model_to_topology(model: Model) -> list[TopologyLayer]:
    """A zoo model's GEMM layers (batch 1) as SCALE-Sim conv-form rows.

    The IFMAP size written is the extent the convolution actually reads, padding included:
    ``(hout - 1) * stride + kh`` (``hin + 2*pad`` minus any tail no window reaches). With it
    SCALE-Sim's ceil-mode output size equals the model's floor-mode one (``hin + 2*pad``
    would give ResNet50's conv1 113x113 outputs instead of 112x112).

    Depthwise convolutions become ``DP`` rows with one filter; a linear layer is a 1x1 conv
    over a ``tokens x 1`` map; a matmul uses SCALE-Sim's GEMM encoding (a ``DP`` row when
    repeated). Other grouped convolutions cannot be written in this form.
    """
    rows: list[TopologyLayer] = []
    for layer in model.gemm_layers:
        name = layer.name.replace("DP", "Dp")
        if isinstance(layer, ConvLayer):
            rows.append(_conv_row(layer, name))
        elif isinstance(layer, LinearLayer):
            rows.append(TopologyLayer(name, layer.tokens, 1, 1, 1, layer.cin, layer.cout))
        elif isinstance(layer, MatMulLayer):
            label = f"{name}_DP" if layer.count > 1 else name  # DP: SCALE-Sim repeats it
            rows.append(TopologyLayer.from_gemm_dims(label, layer.m, layer.n, layer.k, layer.count))
    return rows


def _conv_row(layer: ConvLayer, name: str) -> TopologyLayer:
    ifmap_h = (layer.hout - 1) * layer.stride + layer.kh
    ifmap_w = (layer.wout - 1) * layer.stride + layer.kw
    common = (ifmap_h, ifmap_w, layer.kh, layer.kw)
    if layer.groups == 1:
        return TopologyLayer(name, *common, layer.cin, layer.cout, layer.stride, layer.stride)
    if layer.is_depthwise and layer.cout == layer.cin:
        return TopologyLayer(f"{name}_DP", *common, 1, 1, layer.stride, layer.stride,
                             copies=layer.cin)
    raise WorkloadError(f"layer {layer.name!r}: grouped convolution (groups={layer.groups}) "
                        "has no SCALE-Sim conv-topology form")


def format_topology(layers: Sequence[TopologyLayer], form: str = "conv") -> str:
    """CSV text SCALE-Sim reads (rows end with a comma, as in its own files).

    A ``DP`` row is written with ``Channels = copies``, which is how SCALE-Sim spells it.
    """
    buffer = io.StringIO()
    if form == "gemm":
        buffer.write(", ".join(GEMM_HEADER) + ",\n")
        for layer in layers:
            for _ in range(layer.copies):
                buffer.write(f"{layer.name}, {layer.gemm_m}, {layer.gemm_n}, {layer.gemm_k},\n")
        return buffer.getvalue()
    buffer.write(", ".join(CONV_HEADER) + ",\n")
    for layer in layers:
        if layer.stride_h != layer.stride_w:
            raise WorkloadError(f"topology layer {layer.name!r}: SCALE-Sim's conv form has one "
                                "stride for both axes")
        channels = layer.copies if layer.copies > 1 else layer.channels
        if layer.copies > 1 and ("DP" not in layer.name or layer.channels != 1):
            raise WorkloadError(f"topology layer {layer.name!r}: repeated layers need a DP name "
                                "and one channel in the conv form; write the GEMM form")
        fields = (layer.ifmap_h, layer.ifmap_w, layer.filter_h, layer.filter_w, channels,
                  layer.num_filters, layer.stride_h)
        buffer.write(layer.name + ", " + ", ".join(str(v) for v in fields) + ",\n")
    return buffer.getvalue()
