"""``flexsa simulate``: time one GEMM or a model's training GEMMs on an accelerator."""

from __future__ import annotations

from typing import Any

import typer

from flexsa.errors import ConfigError, FlexsaError, WorkloadError

DATAFLOWS = ("is", "ws", "os")


MODEL_FLAGS = ("width_mult", "dgrad_form", "depthwise", "pruning", "epoch")  # None unless typed
FLAG_NAMES = {"gemms": "--gemm", "phases": "--phase", "skip_layers": "skip_layers"}


def _flag(field: str) -> str:
    """How ``flexsa simulate`` calls a run-spec field (its flag)."""
    return FLAG_NAMES.get(field, "--" + field.replace("_", "-"))


def _run_spec(accel: Any, gemm: str | None, model: str | None, batch: int | None,
              phase: str, options: dict[str, Any]) -> Any:
    """The command's :class:`~flexsa.pipeline.RunSpec`: the flags the user typed (the
    others are ``None``, the defaults) through the one builder every entry point uses."""
    from flexsa.commands.flags import given
    from flexsa.pipeline.spec import run_spec

    typed: dict[str, Any] = {key: None if key in MODEL_FLAGS and not given(key) else value
             for key, value in options.items()}
    if gemm is not None:
        from flexsa.compiler.gemm_spec import parse_gemm_spec
        from flexsa.workloads.layers import Gemm, Phase

        m, n, k = parse_gemm_spec(gemm)
        gemm_phase = Phase.FWD if phase == "all" else _phase(phase)
        return run_spec(accel, model, gemms=[Gemm("cli", gemm_phase, m, n, k)], batch=batch,
                        name=_flag, **typed)
    return run_spec(accel, model, batch=batch, phases=phase, name=_flag, **typed)


def _workload_dict(spec: Any, options: dict[str, Any],
                   phase: str) -> tuple[dict[str, Any], Any]:
    """What the command ran (its ``config.workload``) and the loaded model (or ``None``)."""
    if not spec.workload.is_model:
        item = spec.workload.gemms[0]
        return {"gemm": [item.m, item.n, item.k], "phase": item.phase.value}, None
    from flexsa.pipeline.stages import load_model

    loaded = load_model(spec.workload)
    pruning = options["pruning"]
    epoch = spec.workload.pruning.epoch if spec.workload.pruning else None
    return {"model": loaded.name, "batch": spec.workload.batch, "phase": phase,
            "width_mult": options["width_mult"], "dgrad_form": options["dgrad_form"],
            "depthwise": spec.mapping.depthwise.value, "pruning": pruning, "epoch": epoch,
            "channels": loaded.channel_table() if spec.workload.pruning else None}, loaded


def _phase(text: str) -> Any:
    from flexsa.workloads.layers import Phase

    try:
        return Phase(text)
    except ValueError:
        raise WorkloadError(f"--phase must be fwd, dgrad, wgrad or all, got {text!r}") from None


def _check_timing(timing: str, dataflow: str | None) -> None:
    if timing not in ("flexsa", "scalesim"):
        raise ConfigError(f"--timing must be flexsa or scalesim, got {timing!r}")
    if timing == "scalesim":
        from flexsa.commands.flags import ignored_with

        ignored_with("with --timing scalesim (compute timing only)", "mode_policy", "memory",
                     "energy_table")
    if dataflow is not None and dataflow not in DATAFLOWS:
        raise ConfigError(f"--dataflow must be is, ws or os, got {dataflow!r}")
    if dataflow is not None and timing != "scalesim":
        raise ConfigError("--dataflow applies to --timing scalesim only")


def simulate_command(
    arch: str = typer.Option(..., "--arch", help="preset name or YAML config file"),
    gemm: str | None = typer.Option(None, "--gemm", help="one GEMM: M,N,K"),
    model: str | None = typer.Option(None, "--model", help="a model name or model file"),
    batch: int | None = typer.Option(None, "--batch", "-b", help="mini-batch size (--model)"),
    phase: str = typer.Option("all", "--phase", help="fwd, dgrad, wgrad or all"),
    timing: str = typer.Option("flexsa", "--timing", help="flexsa or scalesim"),
    dataflow: str | None = typer.Option(None, "--dataflow",
                                        help="is, ws or os (--timing scalesim only; "
                                             "default: is = input stationary)"),
    mode_policy: str = typer.Option("auto", "--mode-policy", help="auto, table or fw"),
    memory: str = typer.Option("ideal", "--memory",
                               help="ideal, hbm2 or a DRAM bandwidth in GB/s"),
    energy_table: str | None = typer.Option(None, "--energy-table",
                                            help="YAML overriding energy/area table entries"),
    width_mult: float = typer.Option(1.0, "--width-mult", help="channel width multiplier"),
    dgrad_form: str = typer.Option("split", "--dgrad-form", help="split, implicit or col2im"),
    depthwise: str = typer.Option(
        "simd", "--depthwise",
        help="depthwise convs: simd (SIMD unit, in simd_cycles, not in PE utilization), "
             "per-channel or packed (GEMMs on the array)"),
    pruning: str | None = typer.Option(
        None, "--pruning", help="low, high, a FLOPs fraction or a trajectory JSON (--model)"),
    epoch: int = typer.Option(0, "--epoch", help="training epoch of the pruned model"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Simulate a GEMM or a model's training GEMMs (ideal, HBM2 or any DRAM bandwidth)."""
    from flexsa.arch import load_arch
    from flexsa.report.output import print_json, provenance

    accel = load_arch(arch)
    _check_timing(timing, dataflow)
    options = {"width_mult": width_mult, "dgrad_form": dgrad_form, "depthwise": depthwise,
               "pruning": pruning, "epoch": epoch, "mode_policy": mode_policy,
               "memory": memory, "energy_table": energy_table}
    spec = _run_spec(accel, gemm, model, batch, phase, options)
    workload, _ = _workload_dict(spec, options, phase)
    config: dict[str, Any] = {"arch": accel.as_dict(), "workload": workload, "timing": timing,
                              "memory": memory, "energy_table": energy_table}
    if timing == "scalesim":
        from flexsa.pipeline.stages import lower

        payload = _scalesim(accel, list(lower(spec).gemms), dataflow or "is")
        config["dataflow"] = dataflow or "is"
    else:
        from flexsa.pipeline import evaluate

        config["mode_policy"] = mode_policy
        payload = evaluate(spec).as_dict()
    payload = {**payload, **provenance(config)}
    if as_json:
        print_json(payload)
        return
    _print_text(accel.name, workload, payload)


def _scalesim(accel: Any, gemms: list[Any], dataflow: str) -> dict[str, Any]:
    try:
        from flexsa.sim.scalesim import simulate_scalesim
    except ImportError:
        raise FlexsaError("SCALE-Sim timing is not available in this build") from None
    return dict(simulate_scalesim(accel, gemms, dataflow))


def _print_text(arch_name: str, workload: dict[str, Any], payload: dict[str, Any]) -> None:
    what = (f"GEMM {'x'.join(map(str, workload['gemm']))}" if "gemm" in workload
            else f"{workload['model']} batch {workload['batch']} ({workload['phase']})")
    typer.echo(f"{arch_name}: {what}")
    for key in ("cycles", "macs", "pe_utilization", "seconds"):
        if key in payload:
            value = payload[key]
            typer.echo(f"  {key}: {value:.4f}" if isinstance(value, float) else
                       f"  {key}: {value:,}")
    for key in ("waves_by_mode", "cycles_by_mode"):
        if key in payload:
            shown = ", ".join(f"{k}={v:,}" for k, v in payload[key].items() if v)
            typer.echo(f"  {key}: {shown}")
    for key in ("stall_cycles", "simd_cycles"):
        if key in payload:
            typer.echo(f"  {key}: {payload[key]:,}")
    if payload.get("depthwise"):
        info = payload["depthwise"]
        typer.echo(f"  depthwise ({info['layers']} layers, --depthwise {info['lowering']}): "
                   f"{info['note']}")
    traffic = payload.get("traffic_bytes")
    if traffic and "dram_to_gbuf" in traffic:
        typer.echo(f"  DRAM bytes: DRAM->GBUF={traffic['dram_to_gbuf']:,} "
                   f"GBUF->DRAM={traffic['gbuf_to_dram']:,}")
    if payload.get("energy_pj"):
        shown = ", ".join(f"{k}={v / 1e6:,.3f}" for k, v in payload["energy_pj"].items())
        typer.echo(f"  energy (uJ): {shown}")
    if payload.get("area_mm2"):
        typer.echo(f"  area: {payload['area_mm2']:.2f} mm2")
    if traffic:
        g2l = traffic["gbuf_to_lbuf"]
        typer.echo(f"  GBUF->LBUF bytes: stationary={g2l['stationary']:,} "
                   f"streamed={g2l['streamed']:,}; LBUF->GBUF={traffic['lbuf_to_gbuf']:,}; "
                   f"overcore={traffic['overcore']:,}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
