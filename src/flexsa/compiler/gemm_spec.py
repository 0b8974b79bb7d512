"""Parsing GEMM dimensions given on the command line ("M,N,K")."""

from __future__ import annotations

from flexsa.errors import WorkloadError
from flexsa.validation import gemm_size, int_text


def parse_gemm_spec(text: str) -> tuple[int, int, int]:
    """``"M,N,K"`` -> ``(m, n, k)``, each a positive integer (one-line error otherwise)."""
    parts = [p.strip() for p in str(text).replace("x", ",").split(",")]
    if len(parts) != 3:
        raise WorkloadError(f"--gemm must be M,N,K (three positive integers), got {text!r}")
    dims = [int_text(part, f"--gemm {name}", low=1, error=WorkloadError)
            for name, part in zip("MNK", parts, strict=True)]
    gemm_size(dims[0], dims[1], dims[2], where="--gemm")
    return dims[0], dims[1], dims[2]
