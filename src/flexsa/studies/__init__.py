"""The studies: each builds its tasks, runs them through :mod:`flexsa.runner` into
``DIR/runs.sqlite`` (resumable) and hands the stored results to :mod:`flexsa.report` (or its
package's writers) for ``summary.json``, tables, figures and the HTML report.

* :mod:`.flexsa` -- ``flexsa reproduce flexsa`` (the FlexSA evaluation);
* :mod:`.flexagon` -- ``flexsa reproduce flexagon`` (the Flexagon evaluation);
* :mod:`.colcomb` -- ``flexsa reproduce colcomb`` (column combining).

Heavy imports happen inside the functions (the CLI imports these modules lazily anyway).
"""
