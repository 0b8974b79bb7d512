"""Beyond the paper: a search-based tiler/mode selector and the independent-core bound."""

from __future__ import annotations

from typing import Any

from flexsa.report.evaluation.backend import Backend
from flexsa.report.evaluation.matrix import EvalSettings


def beyond_paper(backend: Backend, settings: EvalSettings) -> dict[str, Any]:
    """``{"beyond_paper": ...}`` for summary.json (empty if the study is not selected)."""
    if "search" not in settings.studies:
        return {}
    return {"beyond_paper": {"status": "not available in this build"}}
