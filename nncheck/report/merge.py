"""``nncheck report merge``: one matrix of component x invariant x implementation/env.

Input: report.json files, or folders searched recursively for ``report.json`` (so a tox
run that writes ``reports/tox/<envname>/report.json`` per env merges with
``nncheck report merge reports/tox -o reports/matrix``). Output: ``matrix.json`` (the
merged data), ``matrix.md`` and, with jinja2, ``matrix.html``.

A column is one report. Its label is the run's ``label`` (``NNCHECK_ENV_LABEL``, else
tox's ``TOX_ENV_NAME``) or the implementation's name with the Python version, made unique.
An invariant a report did not run is ``not-run`` in that column. A report of an incomplete
run (interrupted, or with invariants not run: see ``is_complete`` in nncheck/report/model.py)
is marked ``complete: false`` in its column and never conforms.
"""

from __future__ import annotations

import json
from pathlib import Path

from nncheck.contract import COMPONENTS
from nncheck.report.files import TMP_PREFIX, commit_files
from nncheck.report.model import component_status, conforms, is_complete, load_report
from nncheck.verdict import SEVERITY

MATRIX_VERSION = "1.1"


def find_reports(paths: list[str | Path]) -> list[Path]:
    """The report.json files named, or found under the folders named, in a stable order."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():  # not the temporary folders of an unfinished write (files.py)
            found += sorted(p for p in path.rglob("report.json")
                            if not any(part.startswith(TMP_PREFIX) for part in p.parts))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such report or folder: {path}")
    if not found:
        raise FileNotFoundError(f"no report.json under {', '.join(map(str, paths))}")
    return found


def _label(report: dict) -> str:
    run, impl, env = report["run"], report["implementation"], report["environment"]
    if run.get("label"):
        return str(run["label"])
    python = ".".join(str(env.get("python", "")).split(".")[:2])
    return f"{impl['name']} py{python}" if python else impl["name"]


def merge(reports: list[dict], sources: list[str] | None = None) -> dict:
    """The matrix dict (written as matrix.json) for a list of report dicts."""
    columns, seen = [], {}
    for i, report in enumerate(reports):
        label = _label(report)
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            label = f"{label} #{seen[label]}"
        impl, summary = report["implementation"], report["summary"]
        columns.append({
            "label": label, "implementation": impl["name"], "version": impl.get("version", ""),
            "spec": impl["spec"], "python": report["environment"].get("python"),
            "profile": report["run"]["profile"], "seed": report["run"].get("seed"),
            "conforms": conforms(report), "complete": is_complete(report),
            "interrupted": report["run"].get("interrupted"),
            "not_run": len(report.get("not_run") or []),
            "counts": {s: summary.get(s, 0) for s in (*SEVERITY, "total")},
            "source": (sources or [""] * len(reports))[i],
        })
    cells: dict[tuple[str, str], list[str]] = {}
    messages: dict[tuple[str, str, int], str] = {}
    for col, report in enumerate(reports):
        for comp in report["components"]:
            for inv in comp["invariants"]:
                key = (comp["name"], inv["invariant"])
                cells.setdefault(key, ["not-run"] * len(reports))[col] = inv["status"]
                if inv["status"] != "passed" and inv.get("message"):
                    messages[(*key, col)] = inv["message"].splitlines()[0][:300]
    order = list(COMPONENTS)
    keys = sorted(cells, key=lambda k: (order.index(k[0]) if k[0] in order else len(order), k[1]))
    components = []
    for key in keys:
        name = key[0]
        if not components or components[-1]["name"] != name:
            components.append({"name": name, "section": COMPONENTS[name].section
                               if name in COMPONENTS else "", "invariants": []})
        components[-1]["invariants"].append({
            "invariant": key[1], "statuses": cells[key],
            "messages": [messages.get((*key, c), "") for c in range(len(reports))]})
    for comp in components:
        per_column = list(zip(*(inv["statuses"] for inv in comp["invariants"]), strict=True))
        comp["statuses"] = [_worst(statuses) for statuses in per_column]
    return {"matrix_version": MATRIX_VERSION, "columns": columns, "components": components}


def _worst(statuses) -> str:
    ran = [s for s in statuses if s != "not-run"]
    return component_status(ran) if ran else "not-run"


_MARK = {"passed": "ok", "failed": "**FAIL**", "error": "**ERROR**",
         "blocked": "blk", "not-implemented": "n/i", "deviation": "dev", "not-run": "-"}


def render_matrix_markdown(matrix: dict) -> str:
    cols = matrix["columns"]
    out = ["# nncheck conformance matrix", "",
           f"{len(cols)} run(s). ok = passed, **FAIL** = failed, **ERROR** = error, "
           "blk = blocked (waits for a missing or failing component), n/i = not implemented, "
           "dev = declared deviation, - = not run.", "",
           "| run | implementation | Python | profile | verdict | passed | failed | error | "
           "blk | n/i | dev |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cols:
        n = c["counts"]
        out.append(f"| {_md(c['label'])} | {_md(c['implementation'])} {_md(c['version'])} | "
                   f"{c['python']} | {c['profile']} | "
                   f"{_column_verdict(c)} | {n['passed']} | "
                   f"{n['failed']} | {n['error']} | {n['blocked']} | {n['not-implemented']} | "
                   f"{n['deviation']} |")
    out += ["", "| component | invariant | " + " | ".join(_md(c["label"]) for c in cols) + " |",
            "|---|---|" + "---|" * len(cols)]
    for comp in matrix["components"]:
        out.append(f"| **`{comp['name']}`** | | "
                   + " | ".join(_MARK[s] for s in comp["statuses"]) + " |")
        for inv in comp["invariants"]:
            out.append(f"| | {_md(inv['invariant'])} | "
                       + " | ".join(_MARK[s] for s in inv["statuses"]) + " |")
    return "\n".join(out) + "\n"


def _column_verdict(column: dict) -> str:
    """A column's verdict in matrix.md; an incomplete run says so and why."""
    if column.get("complete", True):
        return "conforms" if column["conforms"] else "**does not conform**"
    why = [f"interrupted by {_md(column['interrupted'])}"] if column.get("interrupted") else []
    why += [f"{column['not_run']} not run"] if column.get("not_run") else []
    failing = column["counts"]["failed"] or column["counts"]["error"]
    return ("**does not conform**, " if failing else "") + "**INCOMPLETE**" + (
        f" ({'; '.join(why)})" if why else "")


def _md(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def write_matrix(paths: list[str | Path], out_dir: str | Path) -> dict[str, Path]:
    """Merge the reports found at ``paths`` and write matrix.json, matrix.md and (with
    jinja2; else a stale one is removed) matrix.html into ``out_dir``, all or none
    (``commit_files`` in nncheck/report/files.py). Returns the paths written, by format."""
    from nncheck.report.html import render_matrix_html

    files = find_reports(paths)
    reports = [load_report(p) for p in files]
    matrix = merge(reports, [str(p) for p in files])
    try:
        page = render_matrix_html(matrix)
    except ImportError as exc:  # jinja2 (the report extra) is missing
        if exc.name not in ("jinja2", "markupsafe"):
            raise
        page = None
    commit_files({"matrix.md": render_matrix_markdown(matrix), "matrix.html": page,
                  "matrix.json": json.dumps(matrix, indent=2) + "\n"}, out_dir)
    out = Path(out_dir)
    written = {"json": out / "matrix.json", "md": out / "matrix.md"}
    return written if page is None else {**written, "html": out / "matrix.html"}
