"""nncheck: property-based verification and gradient checks for neural-network components.

The components, their conventions and the sections of the notes they come from are listed
in :mod:`nncheck.contract`; the numpy reference lives in :mod:`nncheck.reference`.
"""

__version__ = "0.1.0"
