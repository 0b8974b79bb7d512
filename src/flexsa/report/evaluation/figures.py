"""The evaluation's figures (matplotlib, Agg backend), each written as PNG and SVG."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flexsa.report.evaluation.aggregate import ENERGY_PARTS
from flexsa.report.evaluation.journal import RunRecord
from flexsa.report.evaluation.matrix import FLEXSA_CONFIGS, MODE_NAMES

COLORS = {"1G1C": "#4c72b0", "1G4C": "#dd8452", "4G4C": "#55a868", "1G1F": "#c44e52",
          "4G1F": "#8172b3", "16G4C": "#937860"}
PART_COLORS = {"comp": "#4c72b0", "lbuf": "#55a868", "gbuf": "#dd8452", "dram": "#c44e52",
               "overcore": "#8172b3", "forwarding": "#937860"}
MODE_COLORS = {"FW": "#4c72b0", "HSW": "#dd8452", "VSW": "#55a868", "ISW": "#c44e52"}


@dataclass(frozen=True)
class Figure:
    """A written figure: file stem, title and caption for the report."""

    name: str
    title: str
    caption: str
    png: Path
    svg: Path


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False,
                         "figure.constrained_layout.use": True})
    return plt


def _save(fig: Any, out_dir: Path, name: str, title: str, caption: str) -> Figure:
    out_dir.mkdir(parents=True, exist_ok=True)
    png, svg = out_dir / f"{name}.png", out_dir / f"{name}.svg"
    fig.savefig(png, dpi=130)
    fig.savefig(svg, metadata={"Date": None})
    _pyplot().close(fig)
    return Figure(name, title, caption, png, svg)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else float("nan")


def _run_names(summary: Mapping[str, Any]) -> list[str]:
    return list(summary["runs"])


def _grouped_bars(ax: Any, runs: Sequence[str], configs: Sequence[str],
                  value: Callable[[str, str], float]) -> dict[str, list[float]]:
    """One bar per config in each run's group; returns each config's bar positions."""
    width = 0.8 / max(1, len(configs))
    positions = {}
    for j, config in enumerate(configs):
        xs = [i + (j - (len(configs) - 1) / 2) * width for i in range(len(runs))]
        ax.bar(xs, [value(r, config) for r in runs], width, label=config,
               color=COLORS.get(config))
        positions[config] = xs
    ax.set_xticks(range(len(runs)), [r.replace("_", "\n", 1) for r in runs])
    return positions


def utilization_figure(summary: Mapping[str, Any], configs: Sequence[str],
                       out_dir: Path) -> Figure:
    plt = _pyplot()
    runs = _run_names(summary)
    fig, axes = plt.subplots(2, 1, figsize=(max(7.0, 1.3 * len(runs)), 6.4), sharex=True)
    data = summary["runs"]
    _grouped_bars(axes[0], runs, configs,
                  lambda r, c: _num(data[r]["ideal_pe_utilization"].get(c)))
    axes[0].set_ylabel("PE utilization\n(ideal memory)")
    axes[0].set_ylim(0, 1)
    axes[0].legend(ncol=len(configs), fontsize=8, loc="upper center",
                   bbox_to_anchor=(0.5, 1.18), frameon=False)
    positions = _grouped_bars(axes[1], runs, configs,
                              lambda r, c: _num(data[r]["hbm2_pe_utilization"].get(c)))
    axes[1].set_ylabel("PE utilization\n(HBM2)")
    axes[1].set_ylim(0, 1)
    twin = axes[1].twinx()
    for config in configs:
        twin.plot(positions[config],
                  [_num(data[r]["hbm2_speedup_vs_1G1C"].get(config)) for r in runs],
                  marker="o", ms=4, lw=0.9, color=COLORS.get(config), markeredgecolor="black")
    twin.set_ylabel("speedup over 1G1C (lines)")
    twin.spines["right"].set_visible(True)
    speedups = [v for r in runs for v in data[r]["hbm2_speedup_vs_1G1C"].values()
                if isinstance(v, int | float) and v > 0]
    if speedups and max(speedups) / min(speedups) > 4:
        from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

        twin.set_yscale("log")
        twin.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        twin.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        twin.yaxis.set_minor_formatter(NullFormatter())
        twin.set_ylabel("speedup over 1G1C (lines, log scale)")
    return _save(fig, out_dir, "utilization", "PE utilization and speedup",
                 "Bars: PE utilization (useful MACs / PE-cycles) averaged over the training run, "
                 "with ideal memory (top) and one HBM2 stack (bottom). Lines: speedup of each "
                 "configuration over 1G1C with HBM2.")


def traffic_figure(summary: Mapping[str, Any], configs: Sequence[str], out_dir: Path) -> Figure:
    plt = _pyplot()
    runs = _run_names(summary)
    fig, ax = plt.subplots(figsize=(max(7.0, 1.3 * len(runs)), 3.2))
    data = summary["runs"]
    _grouped_bars(ax, runs, configs,
                  lambda r, c: _num(data[r]["gbuf_to_lbuf_traffic_vs_1G1C"].get(c)))
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_ylabel("GBUF→LBUF traffic\n(normalised to 1G1C)")
    ax.legend(ncol=len(configs), fontsize=8, frameon=False)
    return _save(fig, out_dir, "traffic", "On-chip traffic",
                 "Bytes moved from the global buffers to the cores' local buffers per training "
                 "iteration (stationary plus streamed inputs), averaged over the run and "
                 "normalised to 1G1C.")


def energy_figure(summary: Mapping[str, Any], configs: Sequence[str],
                  out_dir: Path) -> Figure | None:
    runs = _run_names(summary)
    if not any(isinstance(part, int | float) for run in runs
               for cell in summary["runs"][run]["energy_vs_1G1C"].values()
               for part in cell.values()):
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(7.5, 0.32 * len(runs) * len(configs) + 1.5), 3.6))
    data = summary["runs"]
    xs, labels, cells, x = [], [], [], 0.0
    for run in runs:
        for config in configs:
            cells.append(data[run]["energy_vs_1G1C"].get(config, {}))
            xs.append(x)
            labels.append(config)
            x += 1
        x += 0.8
    bottom = [0.0] * len(xs)
    for part in (*ENERGY_PARTS, "forwarding"):
        heights = [_num(cell.get(part)) for cell in cells]
        heights = [0.0 if h != h else h for h in heights]
        label = "PE-to-PE" if part == "forwarding" else part.upper()
        ax.bar(xs, heights, 0.8, bottom=bottom, color=PART_COLORS[part], label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(xs, labels, rotation=90, fontsize=7)
    mids = [(xs[i * len(configs)] + xs[(i + 1) * len(configs) - 1]) / 2
            for i in range(len(runs))]
    groups = ax.secondary_xaxis("bottom")
    groups.set_xticks(mids, runs, fontsize=8)
    groups.tick_params(length=0, pad=34)
    groups.spines["bottom"].set_visible(False)
    ax.set_ylabel("energy per iteration\n(normalised to 1G1C)")
    ax.legend(ncol=len(ENERGY_PARTS) + 1, fontsize=8, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, 1.15))
    return _save(fig, out_dir, "energy", "Dynamic energy",
                 "Dynamic energy per training iteration (HBM2 runs), broken into MACs (COMP), "
                 "local buffers, global buffers, DRAM, FlexSA's inter-core paths (OverCore) and "
                 "PE-to-PE forwarding; every part is normalised to 1G1C's total.")


def modes_figure(summary: Mapping[str, Any], out_dir: Path) -> Figure | None:
    plt = _pyplot()
    runs = [r for r in _run_names(summary)
            if any(summary["runs"][r]["mode_share_waves"].get(c) for c in FLEXSA_CONFIGS)]
    configs = [c for c in FLEXSA_CONFIGS
               if any(summary["runs"][r]["mode_share_waves"].get(c) for r in runs)]
    if not runs or not configs:
        return None
    fig, axes = plt.subplots(len(configs), len(runs),
                             figsize=(1.6 * len(runs) + 0.5, 1.8 * len(configs) + 0.4),
                             squeeze=False)
    for i, config in enumerate(configs):
        for j, run in enumerate(runs):
            ax = axes[i][j]
            shares = summary["runs"][run]["mode_share_waves"].get(config) or {}
            values = [max(0.0, _num(shares.get(m, 0.0))) for m in MODE_NAMES]
            if sum(values) > 0:
                ax.pie(values, colors=[MODE_COLORS[m] for m in MODE_NAMES], startangle=90,
                       counterclock=False, wedgeprops={"linewidth": 0.5, "edgecolor": "white"})
            ax.set_title(f"{run}\n{config}" if i == 0 else config, fontsize=7)
    fig.legend([plt.Rectangle((0, 0), 1, 1, color=MODE_COLORS[m]) for m in MODE_NAMES],
               MODE_NAMES, ncol=4, loc="lower center", frameon=False, fontsize=8)
    return _save(fig, out_dir, "modes", "FlexSA operating modes",
                 "Share of systolic waves run in each FlexSA mode (full wave FW, horizontal "
                 "HSW, vertical VSW and independent ISW sub-waves), epoch-weighted over the run.")


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
    fig, axes = plt.subplots(1, len(runs), figsize=(4.6 * len(runs), 3.0), squeeze=False,
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
        ax.set_title(run, fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("PE utilization (ideal memory)")
    axes[0][-1].legend(fontsize=7, frameon=False)
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
    fig, ax = plt.subplots(figsize=(1.6 * len(cells) + 1.5, 3.0))
    series = (("heuristic_pe_utilization", "paper heuristic", "#c44e52"),
              ("search_pe_utilization", "search tiler", "#8172b3"),
              ("independent_core_bound", "independent-core bound", "#55a868"))
    for j, (key, label, color) in enumerate(series):
        xs = [i + (j - 1) * 0.27 for i in range(len(cells))]
        ax.bar(xs, [_num(c[2].get(key)) for c in cells], 0.27, label=label, color=color)
    ax.set_xticks(range(len(cells)), [f"{run}\n{config}" for run, config, _ in cells])
    ax.set_ylim(0, 1)
    ax.set_ylabel("PE utilization (ideal memory)")
    ax.legend(fontsize=8, frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _save(fig, out_dir, "search", "Beyond the paper: search tiler",
                 "Most pruned ResNet50 models (last interval): PE utilization of FlexSA with the "
                 "paper's tiling heuristic, with a search over wave shapes and modes per tile "
                 "(fewest cycles, then least traffic), and the upper bound of independent cores "
                 "of the sub-core size.")


FIGURE_NAMES: tuple[str, ...] = ("utilization", "traffic", "energy", "modes", "splitting",
                                 "area", "intervals", "search")


def render(name: str, summary: Mapping[str, Any], records: Sequence[RunRecord],
           configs: Sequence[str], out_dir: Path) -> Figure | None:
    """One figure by name (``None`` if its data is missing)."""
    has_runs = bool(summary["runs"])
    builders: dict[str, Callable[[], Figure | None]] = {
        "utilization": lambda: utilization_figure(summary, configs, out_dir) if has_runs else None,
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
