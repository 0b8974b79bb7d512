"""Column combining (Kung, McDanel, Zhang, ASPLOS 2019): packing sparse filter matrices into
dense systolic-array columns, the bit-serial array model and (in :mod:`flexsa.packing.joint`,
which needs torch) the joint prune -> combine -> retrain optimisation.

This package imports numpy only; torch is imported by :mod:`flexsa.packing.joint` alone.
"""

from flexsa.packing.grouping import Packing, PackingConfig, PackingError, pack
from flexsa.packing.metrics import ArrayShape, PackingMetrics, packing_metrics, tiles

__all__ = ["ArrayShape", "Packing", "PackingConfig", "PackingError", "PackingMetrics", "pack",
           "packing_metrics", "tiles"]
