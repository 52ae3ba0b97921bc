"""Benchmarks and their data: not tests, run by hand (see each module's docstring)."""
