"""Benchmarks that print figures: ``python -m shoal.bench <name>``."""
