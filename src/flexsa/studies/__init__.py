"""Studies that run through :mod:`flexsa.runner` and hand their stored results to
:mod:`flexsa.report`: :mod:`.flexsa` (``flexsa reproduce flexsa``: plan the work units,
run them into ``DIR/runs.sqlite``, write ``summary.json``/``runs.csv``/figures/report).

The other two reproductions are built the same way inside their own packages, which are
this package's peers in the layer order (a peer must not import another):
:mod:`flexsa.sparse.reproduce` (``reproduce flexagon``) and
:mod:`flexsa.packing.joint.study` (``reproduce colcomb``).
"""
