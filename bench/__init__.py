"""Benchmarks: scripts that print figures (bench/README.md); importable for the tests that reuse their harness."""
