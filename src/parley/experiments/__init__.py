"""Experiments: splitting conversations across agent versions and judging the outcome.

`parley.experiments.stats` holds the pure statistics layer (functions of per-arm sufficient
statistics, no I/O); experiment definitions, assignment storage and promotion build on it.
See `reference/experiments.md` for the methods and their published test oracles.
"""
