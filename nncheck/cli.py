"""The ``nncheck`` command.

``nncheck check`` runs the conformance suite (the installed ``nncheck.properties``
package) under pytest with the nncheck plugin and writes the report; ``nncheck list``
prints the contract. Exit status: 0 conforms, 1 does not (or the run broke), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
                       help="Hypothesis effort (default: %(default)s)")
    check.add_argument("--seed", type=int, default=None,
                       help="Hypothesis seed (default: a random one, recorded in the report)")
    check.add_argument("--report", default=None, metavar="DIR",
                       help="where report.json and report.md go (default: reports/<impl name>)")
    check.add_argument("--convention", action="append", default=[], metavar="KEY=VALUE",
                       help="declare a convention of the implementation (adapter-specific)")
    check.add_argument("--junitxml", default=None, metavar="PATH",
                       help="also write pytest's JUnit XML to PATH")
    check.add_argument("--strict", action="store_true",
                       help="a not-implemented invariant counts as a failure")
    check.add_argument("-v", "--verbose", action="store_true", help="one line per invariant")
    check.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS",
                       help="extra arguments for pytest, after --")

    template = sub.add_parser("template", help="write a starter implementation of the contract")
    template.add_argument("file", metavar="FILE", help="the .py file to create (never overwritten)")

    listing = sub.add_parser("list", help="print the contract's components and invariants")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--adapters", action="store_true", help="list the adapters instead")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "template":
            return cmd_template(args)
        return cmd_list(args)
    except UsageError as exc:
        print(f"nncheck: error: {exc}".replace("nncheck: error: nncheck", "nncheck"),
              file=sys.stderr)
        return EXIT_USAGE


def _conventions(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--convention takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    return options


def cmd_check(args: argparse.Namespace) -> int:
    from nncheck.adapters import load

    for name in args.component:
        if name not in COMPONENTS:
            raise UsageError(f"unknown component {name!r} (see 'nncheck list')")
    implementation = load(args.impl, _conventions(args.convention))  # UsageError -> exit 2
    if args.component and not any(implementation.has(c) for c in args.component):
        print(f"nncheck: note: {implementation.name} implements none of "
              f"{', '.join(args.component)}", file=sys.stderr)
    report_dir = Path(args.report or Path("reports") / _safe(implementation.name))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    pytest_args = api.pytest_arguments(
        args.impl, components=args.component, profile=args.profile, seed=seed,
        report_dir=report_dir, conventions=args.convention, verbose=args.verbose,
        extra=([f"--junitxml={args.junitxml}"] if args.junitxml else []) + args.pytest_args)
    code, report = api.run_pytest(pytest_args, report_dir)
    if code == 4:  # pytest's usage error: its message is already printed
        return EXIT_USAGE
    if report is None:
        print(f"nncheck: the run ended without a report (pytest exit status {code})",
              file=sys.stderr)
        return EXIT_FAILS
    summary = report["summary"]
    conforms = summary["conforms"] and not (args.strict and summary["not-implemented"])
    return EXIT_CONFORMS if conforms else EXIT_FAILS


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
