"""Conformance reports: ``report.json`` is the source of truth; the rest is rendered from it.

See ``docs/report-schema.md`` for the format.
"""

from nncheck.report.model import SCHEMA_VERSION, build_report, load_report, write_report

__all__ = ["SCHEMA_VERSION", "build_report", "load_report", "write_report"]
