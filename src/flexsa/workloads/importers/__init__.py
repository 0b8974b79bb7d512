"""Model importers: ONNX files and traced PyTorch modules -> :class:`~flexsa.workloads.model.Model`.

Heavy libraries (onnx, torch) are imported only when an importer runs.
"""

from flexsa.workloads.importers.graph import ImportResult, UnsupportedOp

__all__ = ["ImportResult", "UnsupportedOp"]
