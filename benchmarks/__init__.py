"""Benchmarks: NLU pipelines side by side (run.py) and the load benchmark (load/)."""
