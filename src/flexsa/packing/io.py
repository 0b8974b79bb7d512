"""Reading weight matrices (.npy, .npz) and random sparse matrices for ``flexsa pack``."""

from __future__ import annotations

import math
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from flexsa.packing.grouping import Packing, PackingError, as_weight_matrix, group_table
from flexsa.paths import input_file
from flexsa.validation import LIMITS, positive


def load_weights(path: str | Path, key: str = "") -> Any:
    """Load a 2-D weight matrix from ``.npy``, a numpy ``.npz`` archive (array ``key`` or the
    only/first array) or a scipy.sparse ``.npz``; validated by :func:`as_weight_matrix`."""
    file = Path(path)
    if not file.is_file():
        raise PackingError(f"--weights: cannot read {str(file)!r} (no such file)")
    input_file(file, "--weights", PackingError)  # readable, within the input_bytes limit
    try:
        _check_array_sizes(file)
        loaded = np.load(file, allow_pickle=False)
    except PackingError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, pickle.UnpicklingError) as err:
        raise PackingError(f"--weights: cannot read {str(file)!r} as .npy/.npz "
                           f"({type(err).__name__})") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            return as_weight_matrix(_from_npz(loaded, file, key))
    return as_weight_matrix(loaded)


def _check_array_sizes(file: Path) -> None:
    """Refuse arrays over the ``pack_elems`` limit from their .npy headers, before reading
    (a compressed .npz member can be far larger than the file)."""
    if zipfile.is_zipfile(file):
        with zipfile.ZipFile(file) as archive:
            for name in archive.namelist():
                with archive.open(name) as member:
                    _check_header(member, f"--weights {str(file)!r}: array {name!r}")
        return
    with open(file, "rb") as handle:
        _check_header(handle, f"--weights {str(file)!r}")


def _check_header(handle: Any, where: str) -> None:
    fmt = np.lib.format
    version = fmt.read_magic(handle)
    reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape = reader(handle)[0]
    LIMITS["pack_elems"].check(math.prod(shape), f"{where}: elements", error=PackingError)


def _from_npz(archive: Any, file: Path, key: str) -> Any:
    names = list(archive.files)
    if {"format", "shape", "data"} <= set(names):  # scipy.sparse.save_npz
        import scipy.sparse as sp

        try:
            return sp.load_npz(file)
        except (ValueError, KeyError, OSError) as err:
            raise PackingError(f"--weights: {str(file)!r} is not a valid sparse matrix "
                               f"({err})") from None
    if not names:
        raise PackingError(f"--weights: {str(file)!r} holds no arrays")
    if key:
        if key not in names:
            raise PackingError(f"--key {key!r} not in {str(file)!r}; arrays: {', '.join(names)}")
        return archive[key]
    return archive[names[0]]


def random_weights(spec: str, seed: int) -> np.ndarray:
    """``"ROWS,COLS,DENSITY"`` -> a random matrix with that fraction of normal nonzeros."""
    parts = spec.split(",")
    try:
        rows, cols, density = int(parts[0]), int(parts[1]), float(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise PackingError(f"--random must be ROWS,COLS,DENSITY (e.g. 512,4608,0.1), "
                           f"got {spec!r}") from None
    positive(rows, "--random: ROWS", error=PackingError)
    positive(cols, "--random: COLS", error=PackingError)
    if not 0.0 <= density <= 1.0:
        raise PackingError(f"--random: DENSITY must be in [0, 1], got {density}")
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((rows, cols)).astype(np.float32)
    keep = rng.random((rows, cols)) < density
    return np.where(keep, values, np.float32(0))


def save_packing(path: str | Path, packing: Packing) -> None:
    """Write the packed weights, control values, groups and mask to ``path`` (.npz)."""
    table = group_table(packing.groups, packing.cols)
    sizes = np.array([len(g) for g in packing.groups], dtype=np.int64)
    try:
        np.savez_compressed(Path(path), packed=packing.packed, control=packing.control,
                            groups=table, group_sizes=sizes, mask=packing.mask,
                            selected_columns=packing.selected_columns)
    except OSError as err:
        raise PackingError(f"--out: cannot write {str(path)!r} ({err.strerror})") from None
