"""The evaluation's figures (matplotlib, Agg backend), each written as PNG and SVG."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from flexsa.report.evaluation.aggregate import ENERGY_PARTS
from flexsa.report.evaluation.matrix import FLEXSA_CONFIGS, MODE_NAMES
from flexsa.report.evaluation.records import RunRecord
from flexsa.report.html.page import Figure

COLORS = {"1G1C": "#4c72b0", "1G4C": "#dd8452", "4G4C": "#55a868", "1G1F": "#c44e52",
          "4G1F": "#8172b3", "16G4C": "#937860"}
PART_COLORS = {"comp": "#4c72b0", "lbuf": "#55a868", "gbuf": "#dd8452", "dram": "#c44e52",
               "overcore": "#8172b3", "forwarding": "#937860"}
MODE_COLORS = {"FW": "#4c72b0", "HSW": "#dd8452", "VSW": "#55a868", "ISW": "#c44e52"}


MAX_WIDTH_IN = 10.0  # 720 pt: shown at full size (no down-scaling) in the 1100 px page


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False,
                         "figure.constrained_layout.use": True})
    return plt


def _save(fig: Any, out_dir: Path, name: str, title: str, caption: str,
          alt: str = "") -> Figure:
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    fig.savefig(png, dpi=130)
    fig.savefig(svg, metadata={"Date": None})
    _pyplot().close(fig)
    return Figure(name, title, caption, png, svg, alt)


def _width(per_item: float, items: int, extra: float = 1.5) -> float:
    return min(MAX_WIDTH_IN, max(6.0, per_item * items + extra))


def _run_label(run: str) -> str:
    return run.replace("_", "\n", 1)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def _metric(data: Mapping[str, Any], key: str, run: str, config: str) -> float:
    return _num(data[run][key].get(config))


def _run_names(summary: Mapping[str, Any]) -> list[str]:
    return list(summary["runs"])


def _grouped_bars(ax: Any, runs: Sequence[str], configs: Sequence[str],
                  value: Callable[[str, str], float],
                  bottom: float = 0.0) -> dict[str, list[float]]:
    """One bar per config in each run's group; returns each config's bar positions."""
    width = 0.8 / max(1, len(configs))
    positions = {}
    for j, config in enumerate(configs):
        xs = [i + (j - (len(configs) - 1) / 2) * width for i in range(len(runs))]
        ax.bar(xs, [value(r, config) for r in runs], width, bottom=bottom, label=config,
               color=COLORS.get(config))
        positions[config] = xs
    ax.set_xticks(range(len(runs)), [_run_label(r) for r in runs])
    return positions


def utilization_figure(summary: Mapping[str, Any], configs: Sequence[str],
                       out_dir: Path) -> Figure:
    plt = _pyplot()
    runs = _run_names(summary)
    fig, axes = plt.subplots(2, 1, figsize=(_width(1.2, len(runs)), 5.6), sharex=True)
    data = summary["runs"]
    for ax, key, label in ((axes[0], "ideal_pe_utilization", "ideal memory"),
                           (axes[1], "hbm2_pe_utilization", "HBM2")):
        _grouped_bars(ax, runs, configs, partial(_metric, data, key))
        ax.set_ylabel(f"PE utilization\n({label})")
        ax.set_ylim(0, 1)
    axes[0].legend(ncol=len(configs), loc="lower center", bbox_to_anchor=(0.5, 1.0),
                   frameon=False)
    return _save(fig, out_dir, "utilization", "PE utilization",
                 "PE utilization (useful MACs / PE-cycles) averaged over the training run, with "
                 "ideal memory (top) and one HBM2 stack (bottom); one bar per configuration.",
                 "Grouped bar charts of PE utilization per model run and configuration, ideal "
                 "memory above and HBM2 below; the exact values are in the table below.")


def speedup_figure(summary: Mapping[str, Any], configs: Sequence[str],
                   out_dir: Path) -> Figure:
    plt = _pyplot()
    runs = _run_names(summary)
    data = summary["runs"]
    others = [c for c in configs if c != "1G1C"] or list(configs)
    fig, ax = plt.subplots(figsize=(_width(1.2, len(runs)), 3.4))
    # bars grow up (faster) or down (slower) from the 1G1C line
    _grouped_bars(ax, runs, others,
                  lambda r, c: _num(data[r]["hbm2_speedup_vs_1G1C"].get(c)) - 1.0, bottom=1.0)
    ax.axhline(1.0, color="black", lw=0.8, ls="--", label="1G1C (= 1)")
    speedups = [v for r in runs for v in data[r]["hbm2_speedup_vs_1G1C"].values()
                if isinstance(v, int | float) and v > 0]
    ax.set_ylabel("speedup over 1G1C\n(HBM2)")
    if speedups:
        ax.set_ylim(min(0.8, min(speedups) * 0.9), max(speedups) * 1.15)
    if speedups and max(speedups) / min(speedups) > 4:
        from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("speedup over 1G1C\n(HBM2, log scale)")
    ax.legend(ncol=len(others) + 1, loc="lower center", bbox_to_anchor=(0.5, 1.0),
              frameon=False)
    return _save(fig, out_dir, "speedup", "Speedup over 1G1C",
                 "Whole-training-run speedup of each configuration over one 128x128 core "
                 "(1G1C, dashed line) with one HBM2 stack.",
                 "Grouped bar chart of the speedup of 1G4C, 4G4C, 1G1F and 4G1F over 1G1C per "
                 "model run, with a dashed line at 1; the values are in the table below.")


def traffic_figure(summary: Mapping[str, Any], configs: Sequence[str], out_dir: Path) -> Figure:
    plt = _pyplot()
    runs = _run_names(summary)
    fig, ax = plt.subplots(figsize=(_width(1.2, len(runs)), 3.2))
    data = summary["runs"]
    _grouped_bars(ax, runs, configs,
                  lambda r, c: _num(data[r]["gbuf_to_lbuf_traffic_vs_1G1C"].get(c)))
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("GBUF→LBUF traffic\n(normalised to 1G1C)")
    ax.legend(ncol=len(configs), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    return _save(fig, out_dir, "traffic", "On-chip traffic",
                 "Bytes moved from the global buffers to the cores' local buffers per training "
                 "iteration (stationary plus streamed inputs), averaged over the run and "
                 "normalised to 1G1C.")


def energy_figure(summary: Mapping[str, Any], configs: Sequence[str],
                  out_dir: Path) -> Figure | None:
    runs = _run_names(summary)
    data = summary["runs"]
    if not any(isinstance(part, int | float) for run in runs
               for cell in data[run]["energy_vs_1G1C"].values() for part in cell.values()):
        return None
    plt = _pyplot()
    cols = min(4, len(runs))
    rows = -(-len(runs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(MAX_WIDTH_IN, 2.3 * rows + 0.6),
                             squeeze=False, sharey=True)
    xs = list(range(len(configs)))
    for index, ax in enumerate(ax for line in axes for ax in line):
        if index >= len(runs):
            ax.set_visible(False)
            continue
        run = runs[index]
        bottom = [0.0] * len(xs)
        for part in (*ENERGY_PARTS, "forwarding"):
            heights = [_num(data[run]["energy_vs_1G1C"].get(c, {}).get(part)) for c in configs]
            heights = [0.0 if h != h else h for h in heights]
            label = "PE-to-PE" if part == "forwarding" else part.upper()
            ax.bar(xs, heights, 0.75, bottom=bottom, color=PART_COLORS[part], label=label)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.set_xticks(xs, configs, rotation=45, fontsize=9)
        ax.set_title(run, fontsize=10)
        if index % cols == 0:
            ax.set_ylabel("energy / iteration\n(1G1C total = 1)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=len(labels), loc="outside upper center", frameon=False)
    return _save(fig, out_dir, "energy", "Dynamic energy",
                 "Dynamic energy per training iteration (HBM2 runs), one panel per model run, "
                 "broken into MACs (COMP), local buffers, global buffers, DRAM, FlexSA's "
                 "inter-core paths (OverCore) and PE-to-PE forwarding; every part is "
                 "normalised to 1G1C's total.",
                 "Small multiples of stacked bar charts, one per model run, of the energy of "
                 "each configuration split into its parts; totals are in the table below.")


def modes_figure(summary: Mapping[str, Any], out_dir: Path) -> Figure | None:
    plt = _pyplot()
    data = summary["runs"]
    runs = [r for r in _run_names(summary)
            if any(data[r]["mode_share_waves"].get(c) for c in FLEXSA_CONFIGS)]
    configs = [c for c in FLEXSA_CONFIGS
               if any(data[r]["mode_share_waves"].get(c) for r in runs)]
    if not runs or not configs:
        return None
    fig, axes = plt.subplots(1, len(configs), figsize=(MAX_WIDTH_IN, 0.42 * len(runs) + 1.3),
                             squeeze=False, sharey=True)
    ys = list(range(len(runs)))[::-1]
    for ax, config in zip(axes[0], configs, strict=True):
        left = [0.0] * len(runs)
        for mode in MODE_NAMES:
            shares = [max(0.0, _num((data[r]["mode_share_waves"].get(config) or {})
                                    .get(mode, 0.0))) for r in runs]
            shares = [0.0 if v != v else v for v in shares]
            ax.barh(ys, shares, 0.7, left=left, color=MODE_COLORS[mode], label=mode)
            for y, x0, share in zip(ys, left, shares, strict=True):
                if share >= 0.06:
                    ax.text(x0 + share / 2, y, f"{100 * share:.0f}%", ha="center",
                            va="center", fontsize=8, color="white")
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
        ax.set_title(config, fontsize=10)
        ax.set_xlabel("share of systolic waves")
    axes[0][0].set_yticks(ys, runs)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, ncol=len(labels), loc="outside upper center", frameon=False)
    return _save(fig, out_dir, "modes", "FlexSA operating modes",
                 "Share of systolic waves run in each FlexSA mode (full wave FW, horizontal "
                 "HSW, vertical VSW and independent ISW sub-waves), epoch-weighted over the "
                 "run; labels give shares of 6% and more.",
                 "Horizontal stacked bars, one per model run and FlexSA configuration, of the "
                 "percentage of waves in each mode.")


def splitting_figure(summary: Mapping[str, Any], out_dir: Path) -> Figure | None:
    study = summary.get("core_splitting") or {}
    if not study:
        return None
    plt = _pyplot()
    labels = list(study)
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    ax.bar(labels, [_num(study[k].get("pe_utilization")) for k in labels], color="#4c72b0",
           label="PE utilization")
    ax.set_ylim(0, 1)
    ax.set_ylabel("PE utilization (bars)")
    twin = ax.twinx()
    twin.plot(labels, [_num(study[k].get("traffic_vs_1x128")) for k in labels], "o-",
              color="#c44e52")
    twin.set_ylabel("GBUF→LBUF traffic vs 1x128² (line)")
    twin.spines["right"].set_visible(True)
    ax.set_xlabel("cores x core size")
    return _save(fig, out_dir, "splitting", "Core-splitting study",
                 "Pruned ResNet50 (mean of low and high strength), ideal memory: splitting the "
                 "16,384 PEs into more, smaller cores raises PE utilization but multiplies "
                 "global-to-local buffer traffic.")


def area_figure(summary: Mapping[str, Any], out_dir: Path) -> Figure | None:
    ratios = summary.get("area_vs_1x128") or {}
    if not ratios:
        return None
    plt = _pyplot()
    labels = ["1x128", *ratios]
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    ax.bar(labels, [1.0, *(_num(ratios[k]) for k in ratios)], color="#55a868")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("area vs 1x128²")
    return _save(fig, out_dir, "area", "Area study",
                 "Chip area (PEs, SRAM buffers and data-path wires) of each core split and of "
                 "a FlexSA unit of four 64x64 cores, relative to one 128x128 core.")


def intervals_figure(records: Sequence[RunRecord], configs: Sequence[str],
                     out_dir: Path) -> Figure | None:
    runs = [r for r in ("resnet50_low", "resnet50_high")
            if any(x.run == r and x.study == "main" and x.memory == "ideal" for x in records)]
    if not runs:
        return None
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(_width(4.6, len(runs), 0.4), 3.0),
                             squeeze=False,
                             sharey=True)
    for ax, run in zip(axes[0], runs, strict=True):
        for config in configs:
            rows = sorted((x for x in records if x.run == run and x.study == "main"
                           and x.memory == "ideal" and x.config == config),
                          key=lambda x: x.epoch_start)
            if rows:
                ax.step([x.epoch_start for x in rows] + [rows[-1].epoch_end],
                        [x.pe_utilization for x in rows] + [rows[-1].pe_utilization],
                        where="post", label=config, color=COLORS.get(config))
        ax.set_title(run, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("PE utilization (ideal memory)")
    axes[0][-1].legend(frameon=False, ncol=2)
    return _save(fig, out_dir, "intervals", "Utilization along training",
                 "PE utilization of pruned ResNet50 in each 10-epoch pruning interval (ideal "
                 "memory): as channels are pruned to irregular counts the large core loses "
                 "utilization, FlexSA keeps it close to the small cores.")


def search_figure(summary: Mapping[str, Any], out_dir: Path) -> Figure | None:
    study = summary.get("beyond_paper") or {}
    cells = [(run, config, data) for run, per in study.items() if isinstance(per, Mapping)
             for config, data in per.items() if isinstance(data, Mapping)]
    if not cells:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(_width(1.6, len(cells)), 3.0))
    series = (("heuristic_pe_utilization", "paper heuristic", "#c44e52"),
              ("search_pe_utilization", "search tiler", "#8172b3"),
              ("independent_core_bound", "independent-core bound", "#55a868"))
    for j, (key, label, color) in enumerate(series):
        xs = [i + (j - 1) * 0.27 for i in range(len(cells))]
        ax.bar(xs, [_num(c[2].get(key)) for c in cells], 0.27, label=label, color=color)
    ax.set_xticks(range(len(cells)), [f"{run}\n{config}" for run, config, _ in cells])
    ax.set_ylim(0, 1)
    ax.set_ylabel("PE utilization (ideal memory)")
    ax.legend(frameon=False, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _save(fig, out_dir, "search", "Beyond the paper: search tiler",
                 "Most pruned ResNet50 models (last interval): PE utilization of FlexSA with the "
                 "paper's tiling heuristic, with a search over wave shapes and modes per tile "
                 "(fewest cycles, then least traffic), and the upper bound of independent cores "
                 "of the sub-core size.")


FIGURE_NAMES: tuple[str, ...] = ("utilization", "speedup", "traffic", "energy", "modes",
                                 "splitting", "area", "intervals", "search")


def render(name: str, summary: Mapping[str, Any], records: Sequence[RunRecord],
           configs: Sequence[str], out_dir: Path) -> Figure | None:
    """One figure by name (``None`` if its data is missing)."""
    has_runs = bool(summary["runs"])
    builders: dict[str, Callable[[], Figure | None]] = {
        "utilization": lambda: utilization_figure(summary, configs, out_dir) if has_runs else None,
        "speedup": lambda: speedup_figure(summary, configs, out_dir) if has_runs else None,
        "traffic": lambda: traffic_figure(summary, configs, out_dir) if has_runs else None,
        "energy": lambda: energy_figure(summary, configs, out_dir) if has_runs else None,
        "modes": lambda: modes_figure(summary, out_dir) if has_runs else None,
        "splitting": lambda: splitting_figure(summary, out_dir),
        "area": lambda: area_figure(summary, out_dir),
        "intervals": lambda: intervals_figure(records, configs, out_dir),
        "search": lambda: search_figure(summary, out_dir),
    }
    return builders[name]()


def _render_packed(args: tuple[str, Mapping[str, Any], Sequence[RunRecord], Sequence[str],
                               Path]) -> Figure | None:
    return render(*args)


def all_figures(summary: Mapping[str, Any], records: Sequence[RunRecord],
                configs: Sequence[str], out_dir: Path, jobs: int = 1) -> list[Figure]:
    """Every figure, rendered in ``jobs`` forked processes."""
    tasks = [(name, summary, records, configs, out_dir) for name in FIGURE_NAMES]
    if jobs <= 1:
        figures = [_render_packed(task) for task in tasks]
    else:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            figures = pool.map(_render_packed, tasks, chunksize=1)
    return [f for f in figures if f is not None]
