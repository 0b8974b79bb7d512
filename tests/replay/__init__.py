"""Replay tests: exact outputs of the reproductions, a sweep and `simulate --json`."""
