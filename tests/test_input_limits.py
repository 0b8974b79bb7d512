"""Input files are refused by size before they are read (the ``input_bytes`` limit) and
binary formats by the sizes their headers declare (``pack_elems``, ``sparse_dim/nnz``)."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from flexsa.cli import app
from flexsa.errors import FlexsaError, WorkloadError
from flexsa.packing.grouping import PackingError
from flexsa.packing.io import load_weights
from flexsa.paths import input_file
from flexsa.sparse.formats import load_matrix


def test_input_file_over_the_byte_limit(tmp_path, monkeypatch):
    path = tmp_path / "arch.yaml"
    path.write_text("name: big\n" + "#" * 100 + "\n")
    monkeypatch.setenv("FLEXSA_MAX_INPUT_BYTES", "50")
    with pytest.raises(FlexsaError, match="FLEXSA_MAX_INPUT_BYTES"):
        input_file(path, "arch config file")
    result = CliRunner().invoke(app, ["arch", "show", str(path)])
    assert result.exit_code == 2
    assert "FLEXSA_MAX_INPUT_BYTES" in result.output
    assert "Traceback" not in result.output


def _npy_header_only(path, shape):
    """A .npy file whose header declares ``shape`` but holds no data."""
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "<f4", "fortran_order": False, "shape": shape})


def test_npy_header_over_pack_elems_refused_before_reading(tmp_path):
    path = tmp_path / "w.npy"
    _npy_header_only(path, (1 << 20, 1 << 20))
    with pytest.raises(PackingError, match="pack_elems|FLEXSA_MAX_PACK_ELEMS"):
        load_weights(path)


def test_npz_member_over_pack_elems_refused(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    np.savez_compressed(path, w=np.zeros((64, 64), dtype=np.float32))
    monkeypatch.setenv("FLEXSA_MAX_PACK_ELEMS", "1000")
    with pytest.raises(PackingError, match="array 'w.npy'"):
        load_weights(path)
    monkeypatch.delenv("FLEXSA_MAX_PACK_ELEMS")
    assert load_weights(path).shape == (64, 64)


def test_mtx_header_over_sparse_dim_refused(tmp_path):
    path = tmp_path / "a.mtx"
    path.write_text("%%MatrixMarket matrix coordinate real general\n"
                    "99999999 4 1\n1 1 1.0\n")
    with pytest.raises(WorkloadError, match="rows.*FLEXSA_MAX_SPARSE_DIM"):
        load_matrix(path)
    small = tmp_path / "b.mtx"
    small.write_text("%%MatrixMarket matrix coordinate real general\n3 4 1\n1 1 1.0\n")
    assert load_matrix(small).shape == (3, 4)
