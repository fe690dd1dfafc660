"""The pytest plugin (entry point ``pytest11: nncheck``).

It is inert in test sessions that collect no nncheck properties. For the conformance
suite it adds the options ``--impl``, ``--convention``, ``--nncheck-profile``,
``--nncheck-component`` and ``--nncheck-report``, the session fixture ``impl``, and one
verdict per (component, invariant): passed, failed, error, blocked, not-implemented or
deviation.
Verdicts travel in ``report.user_properties`` so they survive pytest-xdist; the
controlling process writes ``report.json``, ``report.md`` and ``report.html``.

The implementation under test is never imported here: each process of the run (the
controller, every pytest-xdist worker) talks to its own implementation process through
:mod:`nncheck.runtime.boundary`, which also enforces the time, memory, process and CPU
limits per invariant. Properties get it wrapped in a
:class:`~nncheck.runtime.recording.RecordingImplementation`: the calls of the example
running now are logged, and when a property fails, the calls of the shrunk counterexample
are stored in its verdict (``example``) so ``nncheck repro`` can replay them without
Hypothesis. The controller takes the measurements behind the report's plots
(:mod:`nncheck.report.plots`) through the same boundary, at the end of the run.

A run is *complete* when every collected invariant has a verdict. An interrupted run
(Ctrl-C, SIGTERM) or one whose verdicts went missing is reported with ``complete: false``
and the invariants not run, and never conforms.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from nncheck import suite
from nncheck.verdict import (
    BLOCKED,
    NOT_IMPLEMENTED,
    Verdict,
    classify_call,
    classify_crash,
    classify_setup,
    invariant_name,
    settle_blocked,
    settle_precision,
)

_RUN = pytest.StashKey["Run"]()
_FAULTS = pytest.StashKey[object]()
_AFFINITY = pytest.StashKey[object]()  # the CPUs this process had before --nncheck-pin
_ALLOWED = pytest.StashKey[list]()  # comparisons a bounded deviation let through (per item)


class Run:
    """State of one conformance run: the implementation and the verdicts so far."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.spec = config.getoption("impl") or os.environ.get("NNCHECK_IMPL") or "reference"
        self.options = _conventions(config.getoption("convention"))
        self.components = config.getoption("nncheck_component")
        self.report_dir = config.getoption("nncheck_report")
        self.limits = _limits(config)
        self.collected: dict[str, tuple[str, str]] = {}  # nodeid -> (component, invariant)
        self.interrupted: str | None = None
        self.written_to: str | None = None  # the folder this run's report went to
        self.started = time.time()
        self._clock_start = time.monotonic()
        self._last_property_at: float | None = None  # when the last property ended
        self.verdicts: list[Verdict] = []
        self._started_at: dict[str, float] = {}  # nodeid -> when it began (here or in a worker)
        self._fault_dir: str | None = None  # where workers' faulthandler writes (controller)
        self._implementation = None
        self._recording = None
        self._log = None

    # -- hooks of this run (Run is registered as a plugin object per config) --

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node) -> None:
        """pytest-xdist, controller: tell each worker where to write a fatal error's trace."""
        if self._fault_dir is None:
            import tempfile

            self._fault_dir = tempfile.mkdtemp(prefix="nncheck-faults-")
        node.workerinput["nncheck_fault_file"] = os.path.join(
            self._fault_dir, f"{node.workerinput['workerid']}.txt")

    def pytest_runtest_logstart(self, nodeid: str, location) -> None:
        self._started_at[nodeid] = time.monotonic()

    def pytest_runtest_logfinish(self, nodeid: str, location) -> None:
        self._last_property_at = time.monotonic()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "???":  # pytest-xdist: the worker died while running this test
            started = self._started_at.get(report.nodeid)
            verdict = classify_crash(
                report.nodeid,
                elapsed=None if started is None else time.monotonic() - started,
                fatal_error=_fatal_error(getattr(report, "node", None)))
            if verdict is not None:
                self.verdicts.append(verdict)
            return
        for key, value in report.user_properties:
            if key == "nncheck":
                self.verdicts.append(Verdict(**value))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids) -> None:
        """pytest-xdist, controller: the invariants a worker collected (all collect alike)."""
        for nodeid in ids:
            if nodeid not in self.collected:
                from nncheck.api import invariant_of

                owner = invariant_of(nodeid)
                if owner[0]:  # an nncheck property (other tests of the session are not ours)
                    self.collected[nodeid] = owner

    def pytest_keyboard_interrupt(self, excinfo) -> None:
        self.interrupted = self.interrupted or _interruption_name()

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.interrupted = self.interrupted or _interruption_name()
        if not hasattr(session.config, "workerinput"):  # the controller has every verdict
            settle_blocked(settle_precision(self.verdicts))
        if self._fault_dir is not None:
            import shutil

            shutil.rmtree(self._fault_dir, ignore_errors=True)
        try:
            if not hasattr(session.config, "workerinput") and self.report_dir and (
                    self.verdicts or self.collected):
                self.write(session)
        finally:
            # No implementation process outlives the verdicts, so none can touch the report
            # (a worker stops its own before the controller writes).
            _stop_implementations()

    def write(self, session: pytest.Session) -> None:
        """Build the report, stop the implementation processes, then write the files."""
        from nncheck.report import build_report, write_report

        properties_done = time.monotonic()
        not_run = self.not_run()
        measurements = [] if self.interrupted else self.measure()
        report = build_report(self.verdicts, self.implementation, spec=self.spec,
                              profile=suite.active_profile(),
                              seed=_seed(session.config),
                              duration_s=time.time() - self.started,
                              conventions=self.options,
                              measurements=measurements,
                              workers=_workers(session.config),
                              phases_s=self._phases(properties_done),
                              not_run=not_run, interrupted=self.interrupted)
        _stop_implementations()
        self.written_to = self.report_folder()
        write_report(report, self.written_to)
        LAST_REPORT["report"], LAST_REPORT["folder"] = report, self.written_to

    def report_folder(self) -> str:
        """Where this run's report goes: an interrupted run keeps the previous report and
        writes its own into the ``interrupted`` folder beside it."""
        if self.interrupted:
            return os.path.join(self.report_dir, INTERRUPTED_FOLDER)
        return self.report_dir

    def not_run(self) -> list[dict]:
        """The collected invariants that ended without a verdict (interrupted, lost)."""
        done = {v.test_id for v in self.verdicts}
        return [{"component": component, "invariant": invariant, "test_id": nodeid}
                for nodeid, (component, invariant) in self.collected.items()
                if nodeid not in done and component]

    def measure(self) -> list[dict]:
        """The plot measurements, through the boundary, for components with no error."""
        from nncheck.report.plots import measure

        errored = {v.component for v in self.verdicts if v.status == "error"}
        safe = sorted({v.component for v in self.verdicts} - errored)
        if not safe:
            return []
        return measure(self.implementation, safe,
                       before=self.implementation.process.begin_invariant,
                       after=self.implementation.process.end_invariant)

    def _phases(self, properties_done: float) -> dict[str, float]:
        """Where the run's time went so far: starting the workers and collecting, running
        the properties (first start to last end), and measuring for the plots."""
        first = min(self._started_at.values(), default=properties_done)
        last = self._last_property_at or first
        return {"startup": first - self._clock_start, "properties": last - first,
                "measurements": time.monotonic() - properties_done}

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.verdicts and not (self.collected and self.interrupted):
            return
        from nncheck.report.text import summary_lines

        terminalreporter.section("nncheck conformance")
        worker = hasattr(self.config, "workerinput")
        for line in summary_lines(self.verdicts, self.implementation,
                                  not_run=None if worker else self.not_run(),
                                  interrupted=self.interrupted):
            terminalreporter.write_line(line)
        if self.written_to and not worker:
            terminalreporter.write_line(f"report: {os.path.join(self.written_to, 'report.json')}")

    @property
    def implementation(self):
        """The implementation, in its own process (see nncheck.runtime.boundary)."""
        if self._implementation is None:
            from nncheck.errors import UsageError
            from nncheck.runtime.boundary import connect

            try:
                if self.config.getoption("nncheck_in_process"):
                    from nncheck.adapters import load

                    self._implementation = load(self.spec, self.options)
                    self._implementation.process = _NO_BOUNDARY
                else:
                    self._implementation = connect(self.spec, self.options, self.limits)
            except UsageError as exc:
                raise pytest.UsageError(f"nncheck: {exc}") from None
        return self._implementation

    @property
    def log(self):
        """The calls of the example running now (see nncheck.report.repro)."""
        if self._log is None:
            from nncheck.runtime.recording import CallLog

            self._log = CallLog()
        return self._log

    @property
    def recording(self):
        """The implementation as properties see it: every call logged into ``self.log``."""
        if self._recording is None:
            from nncheck.runtime.recording import RecordingImplementation

            self._recording = RecordingImplementation(self.implementation, self.log)
        return self._recording


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nncheck", "nncheck conformance suite")
    group.addoption("--impl", default=None, metavar="SPEC",
                    help="implementation under test: 'reference' (default), an adapter name, "
                         "pkg.mod, pkg.mod:factory or path/to/file.py; env NNCHECK_IMPL")
    group.addoption("--convention", action="append", default=[], metavar="KEY=VALUE",
                    help="declare a convention of the implementation (adapter-specific)")
    group.addoption("--nncheck-profile", default=None, choices=sorted(suite.PROFILES),
                    help="Hypothesis effort: dev, ci (default) or thorough; env NNCHECK_PROFILE")
    group.addoption("--nncheck-component", action="append", default=[], metavar="NAME",
                    help="check only these components (repeatable)")
    group.addoption("--nncheck-seed", default=None, type=int, metavar="N",
                    help="seed every property's Hypothesis search with N (recorded in the "
                         "report; replays a run). Unlike --hypothesis-seed it keeps the "
                         "example database, so a failure found before is tried first")
    group.addoption("--nncheck-database", default=None, metavar="DIR",
                    help="keep Hypothesis' example database in DIR (default: "
                         ".hypothesis/examples in the folder the run starts in)")
    group.addoption("--nncheck-no-database", action="store_true",
                    help="do not replay failures saved by earlier runs: the seed alone decides")
    group.addoption("--nncheck-report", default=None, metavar="DIR",
                    help="write DIR/report.json and DIR/report.md")
    group.addoption("--nncheck-in-process", action="store_true",
                    help="for benchmarks of the boundary only: import the implementation into "
                         "the checker (no isolation, no limits; a verdict can then be faked)")
    group.addoption("--nncheck-pin", action="store_true",
                    help="put each checker process and its implementation process on one "
                         "CPU, for faster calls between them (nncheck check does this; see "
                         "nncheck.runtime.affinity)")
    group.addoption("--nncheck-timeout", default=None, type=float, metavar="SECONDS",
                    help="wall time per invariant for the implementation (default 120)")
    group.addoption("--nncheck-max-memory", default=None, type=float, metavar="GIB",
                    help="resident memory of the implementation's processes (default 4 GiB)")
    group.addoption("--nncheck-max-processes", default=None, type=int, metavar="N",
                    help="processes the implementation may run at once, itself included "
                         "(default 32)")
    group.addoption("--nncheck-max-cpu", default=None, type=float, metavar="SECONDS",
                    help="CPU seconds per invariant for the implementation (default 240)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nncheck(*components, false_alarm_rate=None): an nncheck property")
    profile = config.getoption("nncheck_profile") or os.environ.get("NNCHECK_PROFILE")
    if profile:
        try:
            suite.set_profile(profile)
        except ValueError as exc:
            raise pytest.UsageError(f"nncheck: {exc}") from None
    suite.use_example_database(False if config.getoption("nncheck_no_database")
                               else config.getoption("nncheck_database") or True)
    run = Run(config)
    config.stash[_RUN] = run
    config.pluginmanager.register(run, "nncheck-run")
    worker = getattr(config, "workerinput", None)
    if config.getoption("nncheck_pin") and (worker or not config.getoption("numprocesses", None)):
        from nncheck.runtime import affinity

        config.stash[_AFFINITY] = affinity.pin(affinity.worker_index(
            worker["workerid"] if worker else None))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the process back the CPUs --nncheck-pin took from it."""
    if _AFFINITY in config.stash:
        from nncheck.runtime import affinity

        affinity.restore(config.stash[_AFFINITY])


def pytest_sessionstart(session: pytest.Session) -> None:
    """An xdist worker: a fatal error's trace goes where the controller looks for it.

    (After every plugin's configure hook, since pytest's own faulthandler plugin points
    faulthandler at stderr there.)"""
    fault_file = getattr(session.config, "workerinput", {}).get("nncheck_fault_file")
    if fault_file:
        import faulthandler

        session.config.stash[_FAULTS] = open(fault_file, "a", encoding="utf-8")  # noqa: SIM115
        faulthandler.enable(file=session.config.stash[_FAULTS])


def _run(config: pytest.Config) -> Run:
    return config.stash[_RUN]


def pytest_collection_modifyitems(session, config: pytest.Config, items) -> None:
    run = _run(config)
    ours = [item for item in items if item.get_closest_marker("nncheck")]
    if not ours:
        return
    suite.freeze_search_constants()
    _seed_properties(ours, config.getoption("nncheck_seed"))
    if run.components:
        from nncheck.contract import component

        for name in run.components:
            try:
                component(name)
            except KeyError as exc:
                raise pytest.UsageError(f"nncheck: {exc.args[0]}") from None
        wanted = set(run.components)
        keep = [i for i in items
                if not i.get_closest_marker("nncheck")
                or i.get_closest_marker("nncheck").args[0] in wanted]
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep
    if not hasattr(config, "workerinput"):
        for item in items:
            marker = item.get_closest_marker("nncheck")
            if marker is not None:
                run.collected[item.nodeid] = (marker.args[0], invariant_name(item))
    run.implementation  # noqa: B018  -- fail early, once, on a bad --impl


def pytest_report_header(config: pytest.Config) -> str | None:
    run = _run(config)
    if config.getoption("impl") is None and not os.environ.get("NNCHECK_IMPL"):
        return None
    return f"nncheck: implementation {run.spec!r}, profile {suite.active_profile()}"


@pytest.fixture(scope="session")
def impl(request: pytest.FixtureRequest):
    """The implementation under test (see ``--impl``), recording its calls for repro."""
    return _run(request.config).recording


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("nncheck")
    if marker is None:
        return
    run = _run(item.config)
    run.log.reset()
    implementation = run.implementation
    owner, *needs = marker.args
    if not implementation.has(owner):
        pytest.skip(NOT_IMPLEMENTED + implementation.absent_reason([owner]))
    missing = [c for c in needs if not implementation.has(c)]
    if missing:
        pytest.skip(f"{BLOCKED}waits for {', '.join(missing)}: "
                    + implementation.absent_reason(missing))
    implementation.process.begin_invariant()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Run the invariant with its bounded expected failure in force, if the adapter
    declares one (nncheck.compare.Bound, nncheck.stats.DrawnFrom), keeping what the bound
    let through."""
    marker = item.get_closest_marker("nncheck")
    implementation = _run(item.config)._implementation if marker is not None else None
    deviation = (implementation.deviation_for(marker.args[0], invariant_name(item).split("[")[0])
                 if implementation is not None else None)
    if deviation is None or deviation.bound is None:
        yield
        return
    from nncheck import compare, stats

    allowing = stats.allowing if isinstance(deviation.bound, stats.DrawnFrom) else compare.allowing
    with allowing(deviation.bound) as allowance:
        yield
    item.stash[_ALLOWED] = allowance.observed


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if item.get_closest_marker("nncheck") is not None:
        implementation = _run(item.config)._implementation
        if implementation is not None:
            implementation.process.end_invariant()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("nncheck")
    if marker is None:
        return
    implementation = _run(item.config)._implementation
    if report.when == "setup" and not report.passed:
        verdict = classify_setup(item, marker, report, implementation)
    elif report.when == "call":
        verdict = classify_call(item, marker, call, report, implementation,
                                allowed=item.stash.get(_ALLOWED, []))
        if verdict.status in ("failed", "error") or (
                verdict.status == "deviation" and not report.passed):
            calls = list(_run(item.config).log.calls)
            verdict.example = _example(_run(item.config).log)
            verdict.hint = _hint(verdict, call)
            verdict.precision = _precision(implementation, verdict, call, calls)
            verdict.message += _user_call(implementation, verdict)
            if verdict.false_alarm_rate is not None:
                # Judged on a sample of many calls: its repro replays the test by the run's
                # seed (nncheck.report.repro), so the sample is not stored in the report.
                verdict.example = None
    else:
        return
    report.user_properties.append(("nncheck", verdict.as_dict()))


def _hint(verdict: Verdict, call: pytest.CallInfo) -> str:
    """The verdict's hint (nncheck.hints), read from its exceptions and its example."""
    from nncheck.hints import hint_for
    from nncheck.verdict import _leaves

    if verdict.status != "failed" or call.excinfo is None:
        return ""
    return hint_for(verdict.component, verdict.invariant, list(_leaves(call.excinfo.value)),
                    verdict.example)


def _precision(implementation, verdict: Verdict, call: pytest.CallInfo,
               calls: list[dict]) -> dict | None:
    """What :mod:`nncheck.precision` finds on a failure's example: whether the component
    computes in lower precision than float64 (probing its last call whose arguments are
    plain data) and whether the failure is within float32 rounding; for
    :func:`nncheck.verdict.settle_precision`."""
    from nncheck.adapters.reference import reference_functions
    from nncheck.gradcheck import GradientMismatch
    from nncheck.precision import probe, within_rounding
    from nncheck.verdict import _leaves

    if verdict.status != "failed" or call.excinfo is None or implementation is None:
        return None
    try:
        own = [c for c in calls if c["component"] == verdict.component and c["method"] is None]
        inputs = tuple(a for c in own for a in (*c["args"], *c["kwargs"].values()))
        leaves = list(_leaves(call.excinfo.value))
        # a central difference of a float32 computation measures its rounding, not its slope
        within = bool(leaves) and all(within_rounding(e, inputs) or isinstance(e, GradientMismatch)
                                      for e in leaves)
        plain = [c for c in own if all(_is_data(a) for a in (*c["args"], *c["kwargs"].values()))]
        reference = reference_functions().get(verdict.component)
        found = None
        if plain and reference is not None:
            last = plain[-1]
            found = probe(verdict.component,
                          lambda *a, **k: implementation.call(verdict.component, *a, **k),
                          reference, tuple(last["args"]), dict(last["kwargs"]))
        return {"finding": found.describe() if found else "", "within_rounding": within}
    except Exception:  # a diagnosis must never cost a verdict
        return None


def _is_data(value) -> bool:
    """An argument :func:`nncheck.precision.probe` may replay: an array or a plain value."""
    return value is None or isinstance(value, (np.ndarray, bool, int, float, str, np.generic))


def _user_call(implementation, verdict: Verdict) -> str:
    """"in your call batchnorm_forward(...)" when the adapter calls the user's function
    under another name or convention (nncheck.usercalls), else ""."""
    from nncheck.usercalls import describe_call

    template = (getattr(implementation, "user_calls", None) or {}).get(verdict.component)
    if not template:
        return ""
    try:
        return "\nin your call " + describe_call(template, verdict.component, verdict.example)
    except Exception:  # the line is a courtesy: never let it cost the verdict
        return ""


def _fatal_error(worker) -> str | None:
    """The last "Fatal Python error" line (e.g. "Fatal Python error: Segmentation fault")
    that a crashed worker's faulthandler wrote, if any; the file is emptied for the next."""
    path = getattr(worker, "workerinput", {}).get("nncheck_fault_file")
    if not path or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for line in handle if line.startswith("Fatal Python error")]
    open(path, "w").close()
    return lines[-1] if lines else None


def _seed_properties(items, seed: int | None) -> None:
    """Give every property the run's seed, as ``@hypothesis.seed(seed)`` would, and the
    run's profile and database (:func:`nncheck.suite.apply_active_settings`).

    Hypothesis' own ``--hypothesis-seed`` also switches its example database off (neither
    read nor written), so a failure found by one run would not be tried first by the next;
    a per-test seed keeps the database. ``None`` clears a seed left by an earlier run in
    the same process.
    """
    for item in items:
        test = getattr(item, "obj", None)
        if hasattr(test, "hypothesis"):
            test._hypothesis_internal_use_seed = seed
            suite.apply_active_settings(test)


def _workers(config: pytest.Config) -> int:
    """How many pytest-xdist worker processes ran the properties (0: in this process)."""
    if getattr(config.option, "dist", "no") == "no":
        return 0
    return len(getattr(config.option, "tx", None) or [])


def _seed(config: pytest.Config) -> int | str | None:
    """The seed of the run (--nncheck-seed, else --hypothesis-seed), for the report."""
    seed = config.getoption("nncheck_seed", None)
    if seed is None:
        seed = config.getoption("hypothesis_seed", None)
    try:
        return int(seed)
    except (TypeError, ValueError):
        return seed


def _example(log) -> dict | None:
    """The logged calls of the failing example as data; never lets a verdict get lost."""
    from nncheck.report.repro import serialise_calls

    try:
        return serialise_calls(log)
    except Exception as exc:  # a value we cannot encode must not hide the verdict
        return {"complete": False, "reason": f"could not store the inputs: {exc}", "calls": []}
    finally:
        log.reset()


def _conventions(pairs: list[str]) -> dict[str, str]:
    from nncheck.adapters import parse_convention_pairs
    from nncheck.errors import UsageError

    try:
        return parse_convention_pairs(pairs)
    except UsageError as exc:
        raise pytest.UsageError(f"nncheck: {exc}") from None


class _NoBoundary:
    """The invariant hooks of a boundary, for --nncheck-in-process (benchmarks only)."""

    def begin_invariant(self) -> None:
        pass

    def end_invariant(self) -> None:
        pass


_NO_BOUNDARY = _NoBoundary()


def _limits(config: pytest.Config):
    """The implementation's resource limits from the plugin's options (UsageError if bad)."""
    from nncheck.errors import UsageError
    from nncheck.runtime.boundary import GiB, Limits

    given = {"timeout": config.getoption("nncheck_timeout"),
             "memory": config.getoption("nncheck_max_memory"),
             "processes": config.getoption("nncheck_max_processes"),
             "cpu": config.getoption("nncheck_max_cpu")}
    if given["memory"] is not None:
        given["memory"] = int(given["memory"] * GiB)
    try:
        return Limits(**{k: v for k, v in given.items() if v is not None})
    except UsageError as exc:
        raise pytest.UsageError(f"nncheck: {exc}") from None


# The report this process last wrote, as built in memory: nncheck.api reads the verdict from
# here, never back from the file, which another process could have rewritten.
LAST_REPORT: dict = {}


def _stop_implementations() -> None:
    from nncheck.runtime.boundary import disconnect_all

    disconnect_all()


# The folder inside --nncheck-report where an interrupted run writes its report.
INTERRUPTED_FOLDER = "interrupted"

# Set by the nncheck command's signal handlers: which signal interrupted the run.
INTERRUPTED_BY: dict[str, str] = {}


def _interruption_name() -> str:
    return INTERRUPTED_BY.get("signal", "SIGINT")
