"""``flexsa simulate``: time one GEMM or a model's training GEMMs on an accelerator."""

from __future__ import annotations

from typing import Any

import typer

from flexsa.errors import ConfigError, FlexsaError, WorkloadError

DATAFLOWS = ("is", "ws", "os")


def _workload(gemm: str | None, model: str | None, batch: int | None, phase: str,
              width_mult: float, dgrad_form: str, pruning: str | None = None,
              epoch: int = 0, depthwise: str = "simd",
              pack_shape: tuple[int, int] = (128, 128)
              ) -> tuple[list[Any], dict[str, Any], Any]:
    from flexsa.workloads.layers import Gemm, Phase

    if (gemm is None) == (model is None):
        raise WorkloadError("give exactly one of --gemm M,N,K or --model NAME --batch B")
    if gemm is not None:
        from flexsa.commands.flags import ignored_with
        from flexsa.compiler.gemm_spec import parse_gemm_spec

        ignored_with("with --gemm (it applies to --model)", "batch", "width_mult", "dgrad_form",
                     "pruning", "epoch")

        m, n, k = parse_gemm_spec(gemm)
        gemm_phase = Phase.FWD if phase == "all" else _phase(phase)
        if pruning is not None:
            raise WorkloadError("--pruning applies to --model runs only")
        workload = {"gemm": [m, n, k], "phase": gemm_phase.value}
        return [Gemm("cli", gemm_phase, m, n, k)], workload, None
    from flexsa.workloads.lowering import lower_model
    from flexsa.workloads.sources import load_workload

    if batch is None:
        raise WorkloadError("--model needs --batch B with B > 0")
    from flexsa.commands.flags import requires
    from flexsa.validation import positive

    positive(batch, "--batch", limit="batch", error=WorkloadError)
    requires("epoch", "--pruning", pruning is not None)
    assert model is not None
    loaded = load_workload(model, width_mult=width_mult, pruning=pruning, epoch=epoch)
    gemms = lower_model(loaded, batch, phase, dgrad_form, depthwise, pack_shape)
    if not gemms:
        raise WorkloadError(f"model {model!r} has no GEMMs in phase {phase!r}")
    workload = {"model": loaded.name, "batch": batch, "phase": phase,
                "width_mult": width_mult, "dgrad_form": dgrad_form, "depthwise": depthwise,
                "pruning": pruning, "epoch": epoch if pruning else None,
                "channels": loaded.channel_table() if pruning else None}
    return gemms, workload, loaded


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
    from flexsa.workloads.depthwise import parse_depthwise

    depthwise = parse_depthwise(depthwise, "--depthwise").value
    gemms, workload, loaded = _workload(gemm, model, batch, phase, width_mult, dgrad_form,
                                        pruning, epoch, depthwise, (accel.blk_k, accel.blk_n))
    config: dict[str, Any] = {"arch": accel.as_dict(), "workload": workload, "timing": timing,
                              "memory": memory, "energy_table": energy_table}
    if timing == "scalesim":
        payload = _scalesim(accel, gemms, dataflow or "is")
        config["dataflow"] = dataflow or "is"
    else:
        config["mode_policy"] = mode_policy
        payload = _flexsa(accel, gemms, mode_policy, memory, energy_table)
        if loaded is not None:
            payload |= _simd(accel, loaded, batch or 1, phase, memory, depthwise)
    payload = {**payload, **provenance(config)}
    if as_json:
        print_json(payload)
        return
    _print_text(accel.name, workload, payload)


def _flexsa(accel: Any, gemms: list[Any], mode_policy: str, memory: str,
            energy_table: str | None) -> dict[str, Any]:
    from flexsa.sim import simulate_gemms

    return simulate_gemms(accel, gemms, mode_policy=mode_policy, memory=memory,
                          energy_table=energy_table).as_dict()


def _simd(accel: Any, loaded: Any, batch: int, phase: str, memory: str,
          depthwise: str) -> dict[str, Any]:
    """The SIMD cycles of a model run and how its depthwise convs ran."""
    from flexsa.sim.simd import simd_cycles
    from flexsa.workloads.depthwise import describe

    out: dict[str, Any] = {"simd_cycles": simd_cycles(loaded, batch, accel, memory=memory,
                                                      phases=phase, depthwise=depthwise)}
    if info := describe(loaded, depthwise, (accel.blk_k, accel.blk_n)):
        out["depthwise"] = info
    return out


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
