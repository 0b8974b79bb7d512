"""Up-front checks of commands whose code belongs to other layers (packing, sparse, training).

Each ``*_guards`` function is called once at the top of its command, before anything is
allocated, trained or written: numbers through :mod:`flexsa.validation`, output paths
through :mod:`flexsa.paths`, contradictory flags through :mod:`flexsa.commands.flags`. It
returns the effective seed (see :func:`flexsa.validation.seed`).
"""

from __future__ import annotations

from pathlib import Path

from flexsa.commands.flags import ignored_with
from flexsa.errors import FlexsaError
from flexsa.paths import input_file, output_dir, output_file
from flexsa.validation import LIMITS, as_float, as_int, non_negative, positive, seed


def _ints(text: str, option: str, count: int) -> list[int] | None:
    """``count`` comma-separated integers, or ``None`` (left to the command's own parser)."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) < count:
        return None
    try:
        return [int(p) for p in parts[:count]]
    except ValueError:
        return None


def array_guard(array: str, option: str = "--array") -> None:
    """A systolic array ``R,C`` within the array-size limit."""
    dims = _ints(array, option, 2)
    if dims is not None:
        for name, value in zip(("rows", "columns"), dims, strict=True):
            as_int(value, f"{option} {name}", low=1, limit="array_dim")


def pack_guards(weights: str, key: str, random: str, alpha: int, gamma: float, section: int,
                array: str, out: str, seed_value: int) -> int:
    """``flexsa pack``: matrix size before allocation, alpha, array, ``--out`` name."""
    if weights:
        input_file(weights, "--weights file")
        if key and Path(weights).suffix.lower() != ".npz":
            raise FlexsaError(f"--key applies to .npz archives; {weights!r} is not one")
    elif key:
        raise FlexsaError("--key applies to --weights FILE.npz; remove it")
    if random:
        dims = _ints(random, "--random", 2)
        if dims is not None and min(dims) >= 1:
            LIMITS["pack_elems"].check(dims[0] * dims[1], "--random ROWS*COLS")
    else:
        ignored_with("with --weights (it applies to --random)", "seed")
    positive(alpha, "--alpha", limit="alpha")
    as_float(gamma, "--gamma", low=0.0)
    as_int(section, "--section (0: none)", low=0, limit="pack_elems")
    array_guard(array)
    if out:
        output_file(out, "--out", (".npz",))
    return seed(seed_value)


_COLCOMB_FLOATS = {"lr": (0.0, 100.0, True, False), "l1": (0.0, 100.0, False, False),
                   "gamma": (0.0, 1e6, False, False), "prune_scale": (0.0, 1.0, False, True),
                   "fraction": (0.0, 1.0, True, False)}
_COLCOMB_INTS = {"epochs": (0, "epochs"), "pretrain_epochs": (0, "epochs"),
                 "prune_steps": (0, "epochs"), "batch_size": (1, "batch"),
                 "threads": (1, "workers"), "resolution": (0, "resolution"),
                 "cost_resolution": (0, "resolution"), "alpha": (1, "alpha"),
                 "section": (0, "pack_elems")}


def colcomb_guards(opts: dict[str, object]) -> None:
    """``colcomb train`` / ``reproduce colcomb`` options (whichever are present): finite,
    bounded, ``--out`` usable; ``opts["seed"]`` becomes the effective seed."""
    for name, (low, high, low_open, high_open) in _COLCOMB_FLOATS.items():
        if name in opts:
            as_float(opts[name], _option(name), low=low, high=high, low_open=low_open,
                     high_open=high_open)
    for name, (low_int, limit) in _COLCOMB_INTS.items():
        if name in opts:
            as_int(opts[name], _option(name), low=low_int, limit=limit)
    for part in str(opts.get("fractions", "")).split(","):
        if part.strip():
            try:
                number = float(part)
            except ValueError:
                raise FlexsaError(f"--fractions must be comma-separated numbers in (0, 1], "
                                  f"got {opts['fractions']!r}") from None
            as_float(number, "--fractions item", low=0.0, high=1.0, low_open=True)
    array_guard(str(opts.get("array", "1,1")))
    if opts.get("out"):
        if "networks" in opts:  # reproduce colcomb: a directory
            output_dir(str(opts["out"]), "--out")
        else:
            output_file(str(opts["out"]), "--out")
    opts["seed"] = seed(opts.get("seed", 0))


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def sparse_guards(m: int, n: int, k: int, nnz_a: int, nnz_b: int, save_c: Path | None,
                  files: tuple[Path | None, ...], seed_value: int) -> int:
    """``flexsa sparse simulate``: synthetic sizes within limits; sizes with files rejected."""
    for path, what in zip(files, ("--case file", "--a file", "--b file"), strict=True):
        if path is not None:
            input_file(path, what)
    if any(path is not None for path in files):
        ignored_with("with --case or --a/--b (they apply to synthetic operands)",
                     "m", "n", "k", "nnz_a", "nnz_b", "seed")
    else:
        for name, value in (("--m", m), ("--n", n), ("--k", k)):
            if value > 0:
                as_int(value, name, low=1, limit="sparse_dim")
        for name, value in (("--nnz-a", nnz_a), ("--nnz-b", nnz_b)):
            if value >= 0:
                as_int(value, name, low=0, limit="sparse_nnz")
    if save_c is not None:
        output_file(save_c, "--save-c", (".npz",))
    return seed(seed_value)


def flexagon_guards(out: Path, max_layers: int, conversion_cost: float,
                    seed_value: int) -> int:
    """``flexsa reproduce flexagon``: ``--out`` usable (its store is checked on opening)."""
    non_negative(max_layers, "--max-layers (0: all)", limit="sparse_dim")
    as_float(conversion_cost, "--conversion-cost", low=0.0, high=1e6)
    output_dir(out, "--out")
    return seed(seed_value)


__all__ = ["array_guard", "colcomb_guards", "flexagon_guards", "pack_guards", "sparse_guards"]
