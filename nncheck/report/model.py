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
from nncheck.verdict import NEWER_STATUSES, SEVERITY, STATUSES, Verdict

SCHEMA_VERSION = "1.7"
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
        # The conventions declared, with those the adapter resolved (e.g. detected) on top.
        "implementation": {**implementation.describe(), "spec": spec,
                           "conventions": {**dict(conventions or {}), **(
                               implementation.describe().get("conventions") or {})}},
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


class NotAReport(ValueError):
    """A file that :func:`load_report` cannot read as an nncheck report; the message is
    one line and names the file."""


def load_report(path: str | Path) -> dict:
    """The report dict in ``path``, checked by :func:`check_report` (NotAReport if not)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NotAReport(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise NotAReport(f"{path}: not an nncheck report (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise NotAReport(f"{path}: not an nncheck report (not JSON: {exc})") from None
    except RecursionError:
        raise NotAReport(f"{path}: not an nncheck report (JSON nested too deeply)") from None
    check_report(data, str(path))
    return data


_ANY = object  # a field that must be present, whatever its type
_NUMBER = (int, float)
# What the readers (renderers, ``nncheck report merge``, ``nncheck repro``) rely on in every
# 1.x report; fields added by a minor version are checked only when present (_OPTIONAL).
_SHAPE = {
    "": {"implementation": dict, "run": dict, "environment": dict, "summary": dict,
         "components": list},
    "implementation": {"name": str, "spec": str},
    "run": {"profile": str, "seed": _ANY, "finished": str, "duration_s": _NUMBER},
    "environment": {"python": str, "platform": str, "packages": dict},
    "summary": {**dict.fromkeys(set(STATUSES) - set(NEWER_STATUSES), int), "total": int,
                "conforms": bool,
                "unchecked_components": list},
    "component": {"name": str, "status": str, "invariants": list},
    "verdict": {"component": str, "invariant": str, "status": str, "test_id": str,
                "description": str, "message": str, "counterexample": str, "reproduce": str},
    "not_run": {"component": str, "invariant": str},
}
_OPTIONAL = {"": {"not_run": list}, "run": {"interrupted": (str, type(None))},
             "summary": {"complete": bool, "not_run": int,
                         **dict.fromkeys(NEWER_STATUSES, int)}}


def check_report(data, where: str = "report") -> None:
    """Raise :class:`NotAReport` unless ``data`` is an nncheck report of this major schema
    version with the fields every reader uses (not a full schema check: that is
    :func:`validate_report`, which needs jsonschema)."""
    if not isinstance(data, dict) or "schema_version" not in data:
        raise NotAReport(f"{where}: not an nncheck report (no schema_version)")
    major = str(data.get("schema_version", "")).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise NotAReport(f"{where}: report schema {data.get('schema_version')!r} is not "
                         f"compatible with {SCHEMA_VERSION}")
    for value, kind, at in _parts(data):
        problem = _shape_problem(value, kind, at)
        if problem:
            raise NotAReport(f"{where}: not an nncheck report ({problem})")


def _parts(report: dict):
    """(value, kind of _SHAPE, where) for every checked part of ``report``, outside in; lazy,
    so a part is reached only once its container has passed."""
    yield report, "", ""
    for part in ("implementation", "run", "environment", "summary"):
        yield report[part], part, part
    for i, comp in enumerate(report["components"]):
        yield comp, "component", f"components[{i}]"
        for j, verdict in enumerate(comp["invariants"]):
            yield verdict, "verdict", f"components[{i}].invariants[{j}]"
    for i, item in enumerate(report.get("not_run") or []):
        yield item, "not_run", f"not_run[{i}]"


def _shape_problem(value, kind: str, where: str) -> str | None:
    """What is wrong with ``value`` as a ``kind`` of _SHAPE (at ``where``), or None."""
    if not isinstance(value, dict):
        return f"{where or 'the top level'} is not an object"
    prefix = f"{where}." if where else ""
    for key, types in _SHAPE[kind].items():
        if key not in value:
            return f"{prefix}{key} is missing"
        if not isinstance(value[key], types):
            return f"{prefix}{key} has the wrong type"
    for key, types in _OPTIONAL.get(kind, {}).items():
        if key in value and not isinstance(value[key], types):
            return f"{prefix}{key} has the wrong type"
    if "status" in _SHAPE[kind] and value["status"] not in STATUSES:
        return f"{prefix}status {value['status'][:40]!r} is not one of {', '.join(STATUSES)}"
    return None


def schema() -> dict:
    """The JSON Schema of report.json (nncheck/report/schema.json)."""
    return json.loads((Path(__file__).parent / "schema.json").read_text(encoding="utf-8"))


def validate_report(report: dict) -> None:
    """Raise jsonschema.ValidationError unless ``report`` follows the schema (needs jsonschema)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(report)

