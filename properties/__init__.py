"""The nncheck conformance suite: one property file per section of the notes.

Installed as ``nncheck.properties`` so that ``nncheck check`` runs it from a wheel.
"""
