"""Re-export of the volatile run provenance, which now lives in :mod:`flexsa.provenance`.

Kept only so importers other helpers are editing this session keep working; import from
:mod:`flexsa.provenance` instead (the lead deletes this module once nothing imports it).
"""

from flexsa.provenance import PROVENANCE_KEY, command_line, git_commit, run_provenance

__all__ = ["PROVENANCE_KEY", "command_line", "git_commit", "run_provenance"]
