"""Benchmarks: ``python -m benchmarks NAME [args]`` runs ``benchmarks/NAME.py``."""
