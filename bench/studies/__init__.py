"""Simulation studies that validate Parley's statistics (scripts; not part of the test run)."""
