"""The FlexSA evaluation's reporting side: epoch-weighted aggregation, ``summary.json``,
``runs.csv``, figures and a self-contained HTML report (the runs are made by
:mod:`flexsa.studies.flexsa` through :mod:`flexsa.runner`).

Modules: :mod:`.matrix` (the settings, variants and targets records), :mod:`.backend` (the
simulator calls), :mod:`.records` (one row per run, ``runs.csv``), :mod:`.aggregate`
(averages and ``summary.json``), :mod:`.claims`, :mod:`.figures`, :mod:`.html`,
:mod:`.outputs` (every output file from the records).
"""
