"""Running the conformance suite from Python: :func:`check` returns the report dict.

``nncheck check`` is a thin shell around this; tests use it to run the suite in-process
against deliberately broken implementations.
"""

from __future__ import annotations

import functools
import os
import random
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from nncheck import suite
from nncheck.contract import component

# Exit status of pytest that means "bad options" (pytest.ExitCode.USAGE_ERROR).
_PYTEST_USAGE_ERROR = 4


def properties_dir() -> Path:
    """Where the installed conformance suite (the nncheck.properties package) lives."""
    import nncheck.properties

    return Path(nncheck.properties.__file__).parent


def pytest_arguments(impl: str, *, components: Iterable[str] = (), profile: str = suite.DEFAULT_PROFILE,
                     seed: int, report_dir: Path, conventions: Sequence[str] = (),
                     verbose: bool = False, workers: int | str = 0, limits=None,
                     extra: Sequence[str] = ()) -> list[str]:
    """pytest's command line for one conformance run.

    ``workers`` > 0 (or "auto") runs the properties in that many pytest-xdist processes.
    Whatever the count, the implementation runs in a process of its own per checker
    process, under ``limits`` (:class:`nncheck.runtime.boundary.Limits`, default limits
    when None).
    """
    from nncheck.runtime.boundary import GiB, Limits

    limits = limits or Limits()
    args = [
        str(properties_dir()),
        "-p", "no:cacheprovider",
        "--import-mode=importlib",
        "--impl", impl,
        "--nncheck-profile", profile,
        "--nncheck-report", str(report_dir),
        f"--nncheck-seed={seed}",
        "-rN",
        *([] if os.environ.get("NNCHECK_PIN") == "0" else ["--nncheck-pin"]),
        "-v" if verbose else "-q",
        "--tb=long" if verbose else "--tb=short",
    ]
    if str(workers) != "0":
        # worksteal: an idle worker takes queued properties from a busy one, so one slow
        # property at the end of a worker's share does not leave the other cores idle.
        args += ["-n", str(workers), "--dist", "worksteal", "--max-worker-restart", "1000000"]
    else:
        args += ["-p", "no:xdist"]
    args += [f"--nncheck-timeout={limits.timeout!r}", f"--nncheck-max-memory={limits.memory / GiB!r}",
             f"--nncheck-max-processes={limits.processes}", f"--nncheck-max-cpu={limits.cpu!r}"]
    for pair in conventions:
        args += ["--convention", pair]
    for name in components:
        component(name)  # KeyError with the list of valid names
        args += ["--nncheck-component", name]
    return args + list(extra)


def run_pytest(args: list[str], report_dir: Path) -> tuple[int, dict | None]:
    """Run pytest in this process; return its exit status and the report it built (None if
    it built none). ``report_dir`` is where the plugin writes it (``--nncheck-report``)."""
    import hypothesis  # noqa: F401  (see below)
    import pytest

    # Imported before pytest starts: otherwise pytest's assertion rewriting, which applies to
    # every module of a package that ships a pytest plugin, recompiles Hypothesis' modules in
    # this process on every run where bytecode is not written (PYTHONDONTWRITEBYTECODE, as in
    # many containers), about a second of the run's serial part. pytest warns that it cannot
    # rewrite these (and nncheck, imported by now); that is intended, so the warning is off.
    for name in ("nncheck", "hypothesis", "_hypothesis_globals"):
        args = [*args, "-W", f"ignore:Module already imported so cannot be rewritten; {name}"
                             ":pytest.PytestAssertRewriteWarning"]

    from nncheck.plugin import LAST_REPORT

    LAST_REPORT.clear()
    code = int(pytest.main(args))
    # The report as this process built it (the file is only its copy; the previous report
    # stays on disk until a run replaces it).
    return code, LAST_REPORT.get("report")


def check(impl: str = "reference", *, components: Iterable[str] = (), profile: str = "ci",
          seed: int | None = None, report_dir: str | Path | None = None,
          conventions: Sequence[str] = (), extra: Sequence[str] = (),
          use_database: bool | str | Path = True, workers: int | str = 0,
          limits=None) -> dict:
    """Run the suite against ``impl`` in this process and return report.json as a dict.

    ``use_database=False`` ignores failures saved by earlier runs, so that the outcome
    depends on the seed alone; a path keeps Hypothesis' example database there.

    Raises RuntimeError when the run produced no report (e.g. a usage error).
    """
    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    with tempfile.TemporaryDirectory(prefix="nncheck-") as tmp:
        directory = Path(report_dir) if report_dir is not None else Path(tmp)
        args = pytest_arguments(impl, components=components, profile=profile, seed=seed,
                                report_dir=directory, conventions=conventions,
                                workers=workers, limits=limits, extra=["-qq", "--tb=no", *extra,
                                       *database_arguments(use_database)])
        code, report = run_pytest(args, directory)
    if report is None:
        raise RuntimeError(f"nncheck run against {impl!r} produced no report (pytest exit {code})")
    return report


def database_arguments(use_database: bool | str | Path) -> list[str]:
    """The plugin's options for Hypothesis' example database: on (default folder), off, or a folder."""
    if use_database is True:
        return []
    if not use_database:
        return ["--nncheck-no-database"]
    return [f"--nncheck-database={use_database}"]


def verdicts(report: dict) -> dict[str, str]:
    """``{"component::invariant": status}`` for every invariant in a report."""
    return {f"{c['name']}::{i['invariant']}": i["status"]
            for c in report["components"] for i in c["invariants"]}


def list_invariants() -> dict[str, list[str]]:
    """Component -> invariant names, read from the property modules without running them."""
    import importlib

    found: dict[str, list[str]] = {}
    for path in sorted(properties_dir().glob("test_*.py")):
        module = importlib.import_module(f"nncheck.properties.{path.stem}")
        for attr, fn in vars(module).items():
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "nncheck"]
            if attr.startswith("test_") and marks:
                found.setdefault(marks[0].args[0], []).append(attr.removeprefix("test_"))
    return found


def invariant_of(nodeid: str) -> tuple[str, str]:
    """(component, invariant) of a property's pytest node id; ``("", invariant)`` for a test
    that is not one of the suite's properties (another file, or an unknown name)."""
    path, _, name = nodeid.partition("::")
    invariant = name.split("::")[-1].removeprefix("test_")
    owners, files = _invariant_owners()
    owner = owners.get(invariant.split("[")[0], "") if Path(path).name in files else ""
    return owner, invariant


@functools.cache
def _invariant_owners() -> tuple[dict[str, str], frozenset[str]]:
    """Invariant name -> component, and the file names of the suite's property modules."""
    files = frozenset(p.name for p in properties_dir().glob("test_*.py"))
    return {name: c for c, names in list_invariants().items() for name in names}, files
