"""The ``nncheck`` command.

``nncheck check`` runs the conformance suite (the installed ``nncheck.properties``
package) under pytest with the nncheck plugin and writes the report; ``nncheck list``
prints the contract. Exit status: 0 conforms, 1 does not (or the run broke), 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
from pathlib import Path

from nncheck import api, suite
from nncheck.contract import COMPONENTS, by_section
from nncheck.errors import UsageError

EXIT_CONFORMS, EXIT_FAILS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nncheck", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = sub.add_parser("check", help="run the conformance suite against an implementation")
    check.add_argument("--impl", default=os.environ.get("NNCHECK_IMPL", "reference"),
                       help="reference (default), adapter name, pkg.mod, pkg.mod:factory, or "
                            "path/to/file.py [env NNCHECK_IMPL]")
    check.add_argument("--component", action="append", default=[], metavar="NAME",
                       help="check only this component (repeatable)")
    check.add_argument("--profile", choices=sorted(suite.PROFILES),
                       default=os.environ.get("NNCHECK_PROFILE", suite.DEFAULT_PROFILE),
                       help="Hypothesis effort (default: %(default)s) [env NNCHECK_PROFILE]")
    check.add_argument("--seed", type=int, default=None,
                       help="Hypothesis seed (default: a random one, recorded in the report)")
    check.add_argument("--database", default=None, metavar="DIR",
                       help="Hypothesis' example database, where failures are saved and tried "
                            "first next time (default: .hypothesis/examples here)")
    check.add_argument("--no-database", action="store_true",
                       help="neither replay nor save failures: the seed alone decides the run")
    check.add_argument("--report", default=None, metavar="DIR",
                       help="where report.json and report.md go (default: reports/<impl name>)")
    check.add_argument("--convention", action="append", default=[], metavar="KEY=VALUE",
                       help="declare a convention of the implementation (adapter-specific)")
    check.add_argument("--junitxml", default=None, metavar="PATH",
                       help="also write pytest's JUnit XML to PATH")
    check.add_argument("--strict", action="store_true",
                       help="a not-implemented or blocked invariant counts as a failure")
    check.add_argument("-n", "--workers", default=os.environ.get("NNCHECK_WORKERS", "auto"),
                       metavar="N",
                       help="processes that run the properties in parallel: 'auto' (default: one "
                            "per CPU core), N >= 1, or 0 for this process only; the "
                            "implementation always runs in a process of its own "
                            "[env NNCHECK_WORKERS]")
    check.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                       help="wall time per invariant for the implementation (default: %(default)s)")
    check.add_argument("--max-memory", type=float, default=4.0, metavar="GIB",
                       help="resident memory of the implementation and every process it starts "
                            "(default: %(default)s GiB)")
    check.add_argument("--max-processes", type=int, default=32, metavar="N",
                       help="processes the implementation may run at once, itself included "
                            "(default: %(default)s)")
    check.add_argument("--max-cpu", type=float, default=240.0, metavar="SECONDS",
                       help="CPU seconds per invariant for the implementation (default: %(default)s)")
    check.add_argument("-v", "--verbose", action="store_true", help="one line per invariant")
    check.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS",
                       help="extra arguments for pytest, after --")

    template = sub.add_parser("template", help="write a starter implementation of the contract")
    template.add_argument("file", metavar="FILE", help="the .py file to create (never overwritten)")

    listing = sub.add_parser("list", help="print the contract's components and invariants")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--markdown", action="store_true",
                         help="the contract as Markdown (docs/contract.md)")
    listing.add_argument("--adapters", action="store_true", help="list the adapters instead")

    repro = sub.add_parser("repro", help="write a standalone script (numpy only, no Hypothesis) "
                                         "that replays one failure of a report")
    repro.add_argument("report", metavar="REPORT", help="report.json (or its folder)")
    repro.add_argument("failure", metavar="FAILURE_ID", nargs="?", default=None,
                       help="component::invariant, the invariant's name, or its number; "
                            "omitted: list the failures")
    repro.add_argument("-o", "--output", default=None, metavar="PATH",
                       help="write the script to PATH instead of printing it")

    report = sub.add_parser("report", help="work with report.json files")
    report_sub = report.add_subparsers(dest="report_command", required=True,
                                       parser_class=_Parser)
    merge = report_sub.add_parser("merge", help="one matrix component x invariant x "
                                                "implementation/env, as md and html")
    merge.add_argument("reports", nargs="+", metavar="REPORT",
                       help="report.json files, or folders searched for report.json")
    merge.add_argument("-o", "--output", required=True, metavar="DIR",
                       help="where matrix.json, matrix.md and matrix.html go")
    render = report_sub.add_parser("render", help="re-render report.md and report.html "
                                                  "from a report.json")
    render.add_argument("report", metavar="REPORT", help="report.json (or its folder)")
    render.add_argument("-o", "--output", default=None, metavar="DIR",
                        help="where to write (default: beside the report)")
    grad = sub.add_parser(
        "gradcheck", help="check a function's gradient against finite differences",
        description="Scalar form: FUNCTION(*inputs, **kwargs) returns (value, grad) (one grad "
                    "per input, a tuple for several). Layer form (--backward): FUNCTION returns "
                    "out or (out, cache) and BACKWARD(dout[, cache]) returns the input "
                    "gradients. Inputs are drawn standard normal (times --scale) from --seed. "
                    "Exit 0 gradient right, 1 wrong (or the function raised), 2 usage error.")
    grad.add_argument("function", metavar="FUNCTION",
                      help="pkg.mod:function or path/to/file.py:function")
    grad.add_argument("--shape", action="append", required=True, metavar="[NAME=]D1,D2,...",
                      help="shape of one input, in call order (repeat for several inputs)")
    grad.add_argument("--backward", default=None, metavar="FUNCTION",
                      help="layer form: the backward function (pkg.mod:function)")
    grad.add_argument("--seed", type=int, default=0,
                      help="seed for the inputs and directions; also re-seeds numpy's global RNG "
                           "before every call (default: %(default)s)")
    grad.add_argument("--mode", default="auto",
                      choices=["auto", "directional", "full", "complex", "complex-full"],
                      help="default: %(default)s (full up to 16 elements, else directional)")
    grad.add_argument("--directions", type=int, default=2, help="directions per input")
    grad.add_argument("--rtol", type=float, default=None, help="relative tolerance (with --atol)")
    grad.add_argument("--atol", type=float, default=None, help="absolute tolerance (with --rtol)")
    grad.add_argument("--scale", type=float, default=1.0, help="std of the drawn inputs")
    grad.add_argument("--kwargs", default="{}", metavar="JSON",
                      help='constant keyword arguments, e.g. \'{"y": [0, 2, 1, 0]}\'')
    grad.add_argument("--taylor", action="store_true",
                      help="also run the Taylor-remainder slope test (scalar form)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # here, so that a closed pipe is seen below, not at exit
        return code
    except UsageError as exc:
        print(f"nncheck: error: {exc}".replace("nncheck: error: nncheck", "nncheck"),
              file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of stdout went away (``nncheck list | head -1``): end quietly, with what
        # is left of the output going to devnull so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_CONFORMS


def _dispatch(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "repro":
        return cmd_repro(args)
    if args.command == "report":
        return cmd_report(args)
    if args.command == "gradcheck":
        return cmd_gradcheck(args)
    if args.command == "template":
        return cmd_template(args)
    return cmd_list(args)


def cmd_check(args: argparse.Namespace) -> int:
    """``nncheck check``: validate everything, load the implementation in its own process,
    run the suite, and exit 0 only for a complete run that conforms."""
    from nncheck.adapters import parse_convention_pairs
    from nncheck.report.files import check_report_dir_writable
    from nncheck.runtime.boundary import GiB, Limits, connect

    if args.profile not in suite.PROFILES:  # a default from NNCHECK_PROFILE is not checked by argparse
        raise UsageError(f"unknown profile {args.profile!r} (NNCHECK_PROFILE?); choose from "
                         f"{', '.join(sorted(suite.PROFILES))}")
    for name in args.component:
        if name not in COMPONENTS:
            raise UsageError(f"unknown component {name!r} (see 'nncheck list')")
    workers = _workers(args.workers)
    limits = Limits(timeout=args.timeout, memory=int(args.max_memory * GiB) if args.max_memory > 0
                    else 0, processes=args.max_processes, cpu=args.max_cpu)
    options = parse_convention_pairs(args.convention)
    implementation = connect(args.impl, options, limits)  # UsageError -> exit 2
    if args.component and not any(implementation.has(c) for c in args.component):
        print(f"nncheck: note: {implementation.name} implements none of "
              f"{', '.join(args.component)}", file=sys.stderr)
    report_dir = Path(args.report or Path("reports") / _safe(implementation.name))
    check_report_dir_writable(report_dir)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    pytest_args = api.pytest_arguments(
        args.impl, components=args.component, profile=args.profile, seed=seed,
        report_dir=report_dir, conventions=args.convention, verbose=args.verbose,
        workers=workers, limits=limits,
        extra=([f"--junitxml={args.junitxml}"] if args.junitxml else [])
        + api.database_arguments(False if args.no_database else args.database or True)
        + args.pytest_args)
    with _interruptible() as interrupted:
        code, report = api.run_pytest(pytest_args, report_dir)
    if interrupted or code == EXIT_PYTEST_INTERRUPTED:
        from nncheck.plugin import INTERRUPTED_FOLDER

        signame = interrupted.get("signal", "SIGINT")
        partial = report_dir / INTERRUPTED_FOLDER / "report.json"
        where = (f"what was checked is in {partial}" if partial.exists()
                 else "no invariant had finished")
        print(f"nncheck: interrupted by {signame}: {where}; the previous report in {report_dir} "
              "is left as it was", file=sys.stderr)
        return 128 + int(getattr(signal, signame))
    if code == 4:  # pytest's usage error: its message is already printed
        return EXIT_USAGE
    if report is None:
        print(f"nncheck: the run ended without a report (pytest exit status {code})",
              file=sys.stderr)
        return EXIT_FAILS
    summary = report["summary"]
    conforms = (summary["conforms"] and summary.get("complete", True)
                and not (args.strict and (summary["not-implemented"]
                                          or summary.get("blocked", 0))))
    return EXIT_CONFORMS if conforms else EXIT_FAILS


EXIT_PYTEST_INTERRUPTED = 2  # pytest.ExitCode.INTERRUPTED


@contextlib.contextmanager
def _interruptible():
    """SIGTERM interrupts the run as Ctrl-C does; the dict names the signal that came."""
    from nncheck.plugin import INTERRUPTED_BY

    INTERRUPTED_BY.clear()

    def on_signal(signum, frame):
        INTERRUPTED_BY.setdefault("signal", signal.Signals(signum).name)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield INTERRUPTED_BY
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


MAX_WORKERS_PER_CORE = 4


def _workers(text: str) -> str:
    """-n: 'auto' or a count, at most MAX_WORKERS_PER_CORE per core of this machine."""
    text = str(text).strip()
    if text == "auto":
        return text
    if not text.isdigit():
        raise UsageError(f"-n/--workers takes a number >= 0 or 'auto', got {text!r}")
    cores = os.cpu_count() or 1
    if int(text) > MAX_WORKERS_PER_CORE * cores:
        raise UsageError(f"-n {text} is more than {MAX_WORKERS_PER_CORE} workers per core on this "
                         f"machine ({cores} cores); use -n auto or at most "
                         f"{MAX_WORKERS_PER_CORE * cores}")
    return str(int(text))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "implementation"


def cmd_template(args: argparse.Namespace) -> int:
    from nncheck.template import write_template

    path = write_template(args.file)
    print(f"wrote {path}: fill in the functions, then run: nncheck check --impl {path}")
    return EXIT_CONFORMS


def cmd_list(args: argparse.Namespace) -> int:
    if args.adapters:
        from nncheck.adapters import available_adapters

        for name, target in available_adapters().items():
            print(f"{name:<12} {target}")
        return EXIT_CONFORMS
    if args.markdown:
        from nncheck.contract_doc import contract_markdown

        print(contract_markdown(), end="")
        return EXIT_CONFORMS
    if args.json:
        print(json.dumps([{
            "name": c.name, "section": c.section, "signature": c.signature,
            "summary": c.summary, "conventions": list(c.conventions),
            "invariants": api.list_invariants().get(c.name, []),
        } for c in COMPONENTS.values()], indent=2))
        return EXIT_CONFORMS
    invariants = api.list_invariants()
    for section, comps in by_section().items():
        print(f"{section}  ({comps[0].property_file})")
        for comp in comps:
            names = invariants.get(comp.name, [])
            print(f"  {comp.signature}")
            print(f"      {comp.summary}")
            if names:
                print(f"      invariants ({len(names)}): {', '.join(names)}")
            else:
                print("      invariants: none yet")
        print()
    return EXIT_CONFORMS


def _load_report_arg(text: str) -> tuple[Path, dict]:
    from nncheck.report import load_report

    path = Path(text)
    if path.is_dir():
        path = path / "report.json"
    if not path.is_file():
        raise UsageError(f"no such report: {path}")
    try:
        return path, load_report(path)
    except ValueError as exc:  # NotAReport: one line that names the file
        raise UsageError(str(exc)) from None


def cmd_repro(args: argparse.Namespace) -> int:
    from nncheck.report.repro import failures, find_failure, repro_script

    _, report = _load_report_arg(args.report)
    if args.output:
        from nncheck.report.files import check_output_file_writable

        check_output_file_writable(args.output)
    if args.failure is None:
        found = failures(report)
        if not found:
            print("the report has no failures or errors")
        for i, failure in enumerate(found, 1):
            first = failure["message"].splitlines()[0] if failure["message"] else ""
            print(f"{i}: {failure['id']} ({failure['status']}) {first[:100]}")
        return EXIT_CONFORMS
    try:
        script = repro_script(report, find_failure(report, args.failure))
    except LookupError as exc:
        raise UsageError(exc.args[0]) from None
    if args.output:
        try:
            Path(args.output).write_text(script, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {args.output}; run it with: python {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(script)
    return EXIT_CONFORMS


def cmd_report(args: argparse.Namespace) -> int:
    """``nncheck report merge`` / ``render``: the output folder is checked before any work,
    and its files are replaced all together (nncheck/report/files.py)."""
    from nncheck.report.files import check_report_dir_writable, commit_files, note

    if args.report_command == "merge":
        from nncheck.report.merge import write_matrix

        check_report_dir_writable(args.output)
        try:
            written = write_matrix(args.reports, args.output)
        except (FileNotFoundError, ValueError, KeyError) as exc:
            raise UsageError(exc.args[0] if exc.args else str(exc)) from None
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        for path in written.values():
            print(path)
        if "html" not in written:
            note("matrix.html not written: it needs jinja2 (pip install 'nncheck[report]')")
        return EXIT_CONFORMS
    from nncheck.report.markdown import render_markdown
    from nncheck.report.model import HTML_SKIPPED, render_html_or_none

    path, report = _load_report_arg(args.report)
    out = Path(args.output) if args.output else path.parent
    check_report_dir_writable(out)
    page = render_html_or_none(report)
    try:
        commit_files({"report.md": render_markdown(report), "report.html": page}, out)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(out / "report.md")
    if page is None:
        note(HTML_SKIPPED)
    else:
        print(out / "report.html")
    return EXIT_CONFORMS



def cmd_gradcheck(args: argparse.Namespace) -> int:
    """``nncheck gradcheck``: one gradient check from the command line (see docs/gradcheck.md)."""
    import math

    import numpy as np

    from nncheck import gradcheck as gc

    if (args.rtol is None) != (args.atol is None):
        raise UsageError("--rtol and --atol go together: give both or neither")
    try:
        gc.tolerances(args.rtol, args.atol, args.mode)
    except ValueError:
        raise UsageError(f"--rtol and --atol must be finite numbers >= 0, got "
                         f"{args.rtol} and {args.atol}") from None
    if args.directions < 1 or not np.isfinite(args.scale) or args.scale <= 0:
        raise UsageError("--directions must be >= 1 and --scale a positive number")
    try:
        kwargs = json.loads(args.kwargs)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--kwargs is not valid JSON: {exc}") from None
    if not isinstance(kwargs, dict):
        raise UsageError("--kwargs must be a JSON object")
    kwargs = {k: np.asarray(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    fn = gc.load_target(args.function)
    backward = gc.load_target(args.backward) if args.backward else None
    shapes = {}
    for j, text in enumerate(args.shape):
        name, sep, dims = text.rpartition("=")
        name = name.strip() if sep else f"input{j}"
        if name in shapes:
            raise UsageError(f"two inputs are named {name!r}")
        shapes[name] = gc.parse_shape(dims)
    if sum(math.prod(shape) for shape in shapes.values()) > gc.MAX_ELEMENTS:
        raise UsageError(f"the --shape inputs have more than {gc.MAX_ELEMENTS:,} elements "
                         "together, more than fit in memory")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    rng = np.random.default_rng(args.seed)
    inputs = {name: rng.standard_normal(shape) * args.scale for name, shape in shapes.items()}
    tol = {} if args.rtol is None else {"rtol": args.rtol, "atol": args.atol}
    opts = dict(name=args.function, mode=args.mode, directions=args.directions, seed=args.seed,
                raise_on_failure=False, **tol)
    label = args.function
    try:
        if backward is not None:
            result = gc.check_layer(lambda *a: fn(*a, **kwargs), backward, inputs, **opts)
            taylor = None
        else:
            out = fn(*inputs.values(), **kwargs)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise UsageError(f"{label} must return (value, grad) (or pass --backward for "
                                 f"the layer form); it returned {type(out).__name__}")
            grads = out[1]
            if len(inputs) > 1 and not isinstance(grads, (tuple, list)):
                raise UsageError(f"{label} takes {len(inputs)} inputs, so its grad must be a "
                                 f"tuple of {len(inputs)} arrays")

            def value(*a):
                return fn(*a, **kwargs)[0]

            result = gc.check_gradients(value, inputs, grads, **opts)
            taylor = (gc.taylor_test(value, inputs, grads, name=label, seed=args.seed,
                                     raise_on_failure=False) if args.taylor else None)
    except UsageError:
        raise
    except gc.GradientMismatch as exc:  # malformed gradients (shape, NaN, None)
        print(f"nncheck: {str(exc).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILS
    except Exception as exc:  # the function raised, or returned something unusable
        text = str(exc).splitlines()[0] if str(exc) else ""
        print(f"nncheck: {label}: {type(exc).__name__}: {text}", file=sys.stderr)
        return EXIT_FAILS
    print(result.message())
    ok = result.passed
    if taylor is not None:
        print(taylor.message())
        ok = ok and taylor.passed
    return EXIT_CONFORMS if ok else EXIT_FAILS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
