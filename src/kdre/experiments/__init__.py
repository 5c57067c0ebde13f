"""Experiment tooling, apart from the library: run records, the archive of finished
runs, the report tables. Nothing in the layers imports it."""
