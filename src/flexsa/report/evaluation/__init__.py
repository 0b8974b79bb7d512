"""The FlexSA evaluation (``flexsa reproduce flexsa``): run matrix, resumable runner,
epoch-weighted aggregation, ``summary.json``, figures and a self-contained HTML report.

Modules: :mod:`.matrix` (what is run), :mod:`.backend` (the simulator calls),
:mod:`.journal` (results written as each run finishes, resume), :mod:`.runner`,
:mod:`.aggregate` (averages and ``summary.json``), :mod:`.figures`, :mod:`.html`,
:mod:`.pipeline` (the whole job).
"""
