"""report.html (and the merged matrix page), rendered from report dicts with jinja2.

The page is one self-contained file: styles inline, plots embedded as base64 PNG, no
script, no font or image from the network, and a Content-Security-Policy that forbids
any request except ``data:`` images. Autoescaping is on for every template, so whatever
an implementation puts into a message, a name or a version is shown as text.
"""

from __future__ import annotations

from functools import lru_cache

from nncheck.contract import COMPONENTS, SECTIONS
from nncheck.verdict import STATUSES

STATUS_LABEL = {"passed": "passed", "failed": "FAILED", "error": "ERROR",
                "blocked": "blocked", "not-implemented": "not implemented", "deviation": "deviation",
                "not-run": "not run"}


@lru_cache(maxsize=1)
def environment():
    """The jinja2 environment: templates shipped in nncheck/report/templates, autoescaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("nncheck.report", "templates"),
        autoescape=True,  # every template, whatever its file name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = lambda status: STATUS_LABEL.get(status, status)
    env.filters["css"] = lambda status: "st-" + "".join(
        c if c.isalnum() else "-" for c in str(status))
    return env


def _grid(report: dict) -> list[dict]:
    """Sections -> components (checked or not) -> invariants, for the summary grid."""
    checked = {c["name"]: c for c in report["components"]}
    sections = []
    for section in SECTIONS:
        rows = []
        for comp in COMPONENTS.values():
            if comp.section != section:
                continue
            entry = checked.get(comp.name)
            rows.append({"name": comp.name,
                         "status": entry["status"] if entry else "not-run",
                         "invariants": entry["invariants"] if entry else []})
        sections.append({"title": section, "rows": rows})
    return sections


def render_html(report: dict) -> str:
    """report.html for one report dict (see docs/report-schema.md)."""
    from nncheck.report.model import conforms, incomplete_lines
    from nncheck.report.plots import matplotlib_available, render
    from nncheck.report.repro import failures

    problems = failures(report)
    for failure in problems:
        failure["snippet"] = repro_snippet(report, failure)
    measurements = report.get("measurements", [])
    return environment().get_template("report.html.j2").render(
        report=report, statuses=STATUSES, sections=_grid(report), failures=problems,
        figures=render(measurements), matplotlib=matplotlib_available(),
        measurement_errors=[m for m in measurements if "error" in m],
        conforms=conforms(report), incomplete=incomplete_lines(report, limit=None),
    )


def repro_snippet(report: dict, failure: dict) -> str:
    """Shell lines that reproduce one failure: the standalone script, then the property."""
    from nncheck.report.repro import replay_lines

    return "\n".join(replay_lines(report, failure))


def render_matrix_html(matrix: dict) -> str:
    """The merged page of ``nncheck report merge`` (see nncheck.report.merge)."""
    return environment().get_template("matrix.html.j2").render(matrix=matrix, statuses=STATUSES)
