"""Benchmarks run by `make bench`: each module here has `run() -> list[str]`."""
