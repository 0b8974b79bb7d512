"""Input and output paths, checked at the boundary with one-line errors.

Input files: missing, a directory, unreadable or not UTF-8 text each get a message naming
the file. Output paths are checked *before* long work starts (the parent directory exists
and is writable, the path is not a directory, the suffix is the one the writer uses) and
are never silently renamed. Input files larger than the ``input_bytes`` limit
(:mod:`flexsa.validation`) are refused before they are read. Imports only the base modules.
"""

from __future__ import annotations

import os
from pathlib import Path

from flexsa.errors import FlexsaError


def input_file(path: str | Path, what: str = "file",
               error: type[FlexsaError] = FlexsaError) -> Path:
    """``path`` as an existing, readable regular file."""
    p = Path(path)
    if not str(path).strip():
        raise error(f"{what}: give a file name")
    if p.is_dir():
        raise error(f"{what} {str(p)!r} is a directory, not a file")
    if not p.exists():
        raise error(f"{what} {str(p)!r} not found; check the path")
    if not os.access(p, os.R_OK):
        raise error(f"{what} {str(p)!r} is not readable; check its permissions")
    from flexsa.validation import LIMITS

    LIMITS["input_bytes"].check(p.stat().st_size, f"{what} {str(p)!r}: size in bytes",
                                error=error)
    return p


def read_text(path: str | Path, what: str = "file",
              error: type[FlexsaError] = FlexsaError) -> str:
    """The UTF-8 text of an input file (one-line errors for every way it can fail)."""
    p = input_file(path, what, error)
    try:
        data = p.read_bytes()
    except OSError as err:
        raise error(f"cannot read {what} {str(p)!r}: {err.strerror or err}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise error(f"{what} {str(p)!r} is not UTF-8 text (byte 0x{data[err.start]:02x} at "
                    f"offset {err.start}); save it as UTF-8") from None


def output_file(path: str | Path, option: str, suffixes: tuple[str, ...] = (),
                error: type[FlexsaError] = FlexsaError) -> Path:
    """Check an output file path before any work: never renamed, never a directory."""
    p = Path(path)
    if not str(path).strip():
        raise error(f"{option}: give a file name")
    if suffixes and p.suffix.lower() not in suffixes:
        raise error(f"{option} {str(p)!r}: use a file name ending in {' or '.join(suffixes)} "
                    "(the name is not changed for you)")
    if p.is_dir():
        raise error(f"{option} {str(p)!r} is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise error(f"{option} {str(p)!r}: directory {str(parent)!r} does not exist; "
                    "create it first")
    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise error(f"{option} {str(p)!r} is not writable; check the permissions")
    return p


def output_dir(path: str | Path, option: str,
               error: type[FlexsaError] = FlexsaError) -> Path:
    """Check an output directory before any work: it is or can become a writable directory."""
    p = Path(path)
    if not str(path).strip():
        raise error(f"{option}: give a directory name")
    if p.exists() and not p.is_dir():
        raise error(f"{option} {str(p)!r} exists and is not a directory; choose a directory")
    probe = p
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise error(f"{option} {str(p)!r}: {str(probe)!r} is a file, not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise error(f"{option} {str(p)!r} is not writable; check the permissions of "
                    f"{str(probe)!r}")
    return p


class ExclusiveLock:
    """An exclusive ``flock`` on ``path`` (created if missing) for one writing process.

    A second writer refuses at once with one line instead of interleaving its results.
    The lock dies with the process, so a killed run never blocks its resume.
    """

    def __init__(self, path: str | Path, what: str,
                 error: type[FlexsaError] = FlexsaError) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no guard
            return
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = -1
            raise error(f"{what} is being written by another running flexsa process; wait "
                        "for it to finish (then rerun to resume) or choose another one") from None

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
