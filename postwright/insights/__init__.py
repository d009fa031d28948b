"""Insights: what each published post achieved, read back from the platforms and kept in state/metrics/.

`model` holds the shapes every part shares (the platform readers, the store, the report); the readers
themselves live beside each platform's publisher (`platforms/<name>/metrics.py`, named lazily).
"""
