"""The one resumable runner: a SQLite store of finished tasks and an engine that runs the
rest (in this process, local worker processes or on Dask).

It runs the sweeps (:mod:`flexsa.sweeps`) and the three reproductions
(:mod:`flexsa.studies`), and knows nothing about either: a run is a list of
:class:`Task` records (a JSON config each, identified by its digest), a top-level function
``work(config) -> JSON-able result`` and a :class:`StoreIdentity` (the store's kind and the
config every task shares). Resume = skip the task ids already stored. See docs/runner.md.
"""

from flexsa.runner.engine import Progress, RunSummary, check_jobs, run_tasks
from flexsa.runner.store import (
    STORE_FILE,
    RunStore,
    StoredTask,
    StoreIdentity,
    check_identity,
    prepare_out_dir,
    read_store,
    remove_store,
)
from flexsa.runner.task import Task, digest

__all__ = ["STORE_FILE", "Progress", "RunStore", "RunSummary", "StoreIdentity", "StoredTask",
           "Task", "check_identity", "check_jobs", "digest", "prepare_out_dir", "read_store",
           "remove_store", "run_tasks"]
