"""Benchmarks that `make bench` runs: each builds its own data and reports ratios."""
