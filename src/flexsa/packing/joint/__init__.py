"""Joint optimisation of accuracy and array utilization (spec section 4), in PyTorch.

Importing this subpackage imports torch; :mod:`flexsa.packing` itself never does, and the
CLI imports it only inside the ``colcomb`` and ``reproduce colcomb`` commands.
"""
