"""Building, writing and reading ``report.json`` (schema in docs/report-schema.md)."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from collections import Counter
from importlib import metadata
from pathlib import Path

import nncheck
from nncheck.contract import COMPONENTS
from nncheck.verdict import SEVERITY, STATUSES, Verdict

SCHEMA_VERSION = "1.3"
_ENV_PACKAGES = ("numpy", "scipy", "hypothesis", "autograd", "pytest")
# Reported only when installed: the ecosystems adapters wrap and the report's renderers.
_OPTIONAL_PACKAGES = ("torch", "jax", "flax", "optax", "keras", "tensorflow", "scikit-learn",
                      "jinja2", "matplotlib", "pytest-xdist")


def environment() -> dict:
    packages = {}
    for name in _ENV_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    for name in _OPTIONAL_PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "packages": packages}


def component_status(statuses: list[str]) -> str:
    return next(s for s in SEVERITY if s in statuses)


def run_label() -> str | None:
    """Which environment of a matrix this run is: NNCHECK_ENV_LABEL, else tox's env name."""
    return os.environ.get("NNCHECK_ENV_LABEL") or os.environ.get("TOX_ENV_NAME") or None


def build_report(verdicts: list[Verdict], implementation, *, spec: str, profile: str,
                 seed: int | None, duration_s: float, conventions: dict | None = None,
                 measurements: list | None = None, workers: int | None = None,
                 phases_s: dict[str, float] | None = None,
                 not_run: list[dict] | None = None, interrupted: str | None = None) -> dict:
    """The report dict: run facts, summary counts and one entry per component.

    ``workers`` (pytest-xdist processes; 0 = in-process) and ``phases_s`` (seconds per
    phase of the run, see docs/report-schema.md) are recorded when given.

    An incomplete run passes ``not_run`` (the invariants it did not get to, each
    ``{"component", "invariant", "test_id"}``) and/or ``interrupted`` (why it stopped, e.g.
    ``"SIGINT"``): the report then says ``summary.complete: false`` and never conforms.
    """
    not_run = [{"component": str(item["component"]), "invariant": str(item["invariant"]),
                "test_id": str(item.get("test_id", ""))} for item in not_run or []]
    by_component: dict[str, list[Verdict]] = {}
    for v in sorted(verdicts, key=lambda v: (list(COMPONENTS).index(v.component), v.invariant)):
        by_component.setdefault(v.component, []).append(v)
    counts = Counter(v.status for v in verdicts)
    summary = {status: counts.get(status, 0) for status in STATUSES}
    summary["total"] = len(verdicts)
    summary["complete"] = not not_run and interrupted is None
    summary["not_run"] = len(not_run)
    summary["conforms"] = summary["complete"] and summary["failed"] == 0 and summary["error"] == 0
    summary["unchecked_components"] = [c for c in COMPONENTS if c not in by_component]
    components = []
    for name, items in by_component.items():
        comp = COMPONENTS[name]
        components.append({
            "name": name,
            "section": comp.section,
            "status": component_status([v.status for v in items]),
            "invariants": [v.as_dict() for v in items],
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "nncheck_version": nncheck.__version__,
        "implementation": {**implementation.describe(), "spec": spec,
                           "conventions": dict(conventions or {})},
        "run": {
            "label": run_label(),
            "profile": profile,
            "seed": int(seed) if isinstance(seed, str) and seed.isdigit() else seed,
            "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(duration_s, 2),
            "interrupted": None if interrupted is None else str(interrupted),
            **({} if workers is None else {"workers": workers}),
            **({} if phases_s is None else
               {"phases_s": {name: round(seconds, 2) for name, seconds in phases_s.items()}}),
        },
        "environment": environment(),
        "summary": summary,
        "components": components,
        "not_run": not_run,
        "measurements": list(measurements or []),
    }


def is_complete(report: dict) -> bool:
    """Whether every invariant of the run ran: reports older than schema 1.3 lack the
    fields and were complete (an interrupted run then wrote no report at all)."""
    return bool(report["summary"].get("complete", True) and not report.get("not_run")
                and not report["run"].get("interrupted"))


def conforms(report: dict) -> bool:
    """The verdict to show: ``summary.conforms``, and never for an incomplete run."""
    return bool(report["summary"]["conforms"]) and is_complete(report)


def incomplete_lines(report: dict, limit: int | None = 40) -> list[str]:
    """Why ``report`` is incomplete, as short lines (none when it is complete); see
    :func:`describe_incomplete`."""
    if is_complete(report):
        return []
    return describe_incomplete(report["run"].get("interrupted"), report.get("not_run") or [],
                               limit)


def describe_incomplete(interrupted: str | None, not_run: list[dict],
                        limit: int | None = 40) -> list[str]:
    """``INCOMPLETE: interrupted by X; N invariant(s) not run``, then one indented
    ``not run: component: inv, inv`` line per component; past ``limit`` invariants
    (None: no limit) only a count of the rest."""
    parts = ([f"interrupted by {interrupted}"] if interrupted else []) + (
        [f"{len(not_run)} invariant(s) not run"] if not_run else [])
    lines = ["INCOMPLETE: " + ("; ".join(parts) or "the run did not finish")]
    shown = not_run if limit is None else not_run[:limit]
    grouped: dict[str, list[str]] = {}
    for item in shown:
        grouped.setdefault(item["component"], []).append(item["invariant"])
    lines += [f"  not run: {name}: {', '.join(names)}" for name, names in grouped.items()]
    if len(shown) < len(not_run):
        lines.append(f"  ... and {len(not_run) - len(shown)} more (listed in report.json)")
    return lines


def write_report(report: dict, directory: str | Path) -> Path:
    """Write report.json, report.md and (with jinja2) report.html into ``directory``, all
    three or none (``commit_files`` in nncheck/report/files.py): an interruption or a
    failure while rendering or writing leaves the previous report as it was.

    Without jinja2 (the ``report`` extra) report.html is not written, a stale one is
    removed, and a one-line note goes to stderr. Returns the path of report.json.
    """
    from nncheck.report.files import commit_files, note
    from nncheck.report.markdown import render_markdown

    directory = Path(directory)
    page = render_html_or_none(report)
    commit_files({"report.md": render_markdown(report), "report.html": page,
                  "report.json": json.dumps(report, indent=2, allow_nan=False) + "\n"},
                 directory)
    if page is None:
        note(HTML_SKIPPED)
    return directory / "report.json"


HTML_SKIPPED = "report.html not written: it needs jinja2 (pip install 'nncheck[report]')"


def render_html_or_none(report: dict) -> str | None:
    """report.html's text, or None when jinja2 (the ``report`` extra) is missing."""
    from nncheck.report.html import render_html

    try:
        return render_html(report)
    except ImportError as exc:
        if exc.name not in ("jinja2", "markupsafe"):
            raise
        return None


def write_html(report: dict, path: str | Path) -> bool:
    """Render report.html to ``path`` if jinja2 is installed; return False otherwise."""
    from nncheck.report.files import commit_files

    page = render_html_or_none(report)
    if page is not None:
        commit_files({Path(path).name: page}, Path(path).parent)
    return page is not None


def load_report(path: str | Path) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    major = str(data.get("schema_version", "")).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ValueError(f"{path}: report schema {data.get('schema_version')!r} is not "
                         f"compatible with {SCHEMA_VERSION}")
    return data


def schema() -> dict:
    """The JSON Schema of report.json (nncheck/report/schema.json)."""
    return json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))


def validate_report(report: dict) -> None:
    """Raise jsonschema.ValidationError unless ``report`` follows the schema (needs jsonschema)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(report)
