"""Zero flakes: run the suite against an implementation under many Hypothesis seeds.

A correct implementation must pass under every seed: each failure is a real bug of the
implementation or a false alarm of the suite. Every statistical property states its
false-alarm rate; this script measures the rate actually observed, per invariant-run, with
its exact (Clopper-Pearson) 95 % upper bound. Runs ignore Hypothesis' example database, so
each seed alone decides its run and replays it.

    python benchmarks/flakes.py --seeds 100                                  # whole suite
    python benchmarks/flakes.py --seeds 50 --section "Weight Initialization"
    python benchmarks/flakes.py --impl torch --seeds 20 --baseline reports/torch/report.json

A library that really violates some invariants (see reports/README.md) is measured against
its committed report (``--baseline``): a flake is then an invariant that passes (or holds
as a declared deviation) there and fails or errors under another seed. The known failures
are listed with the share of seeds that found them (the suite's detection rate).

Exit status 1 if any invariant that should pass did not.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from scipy import stats as sps

from nncheck.api import check, verdicts
from nncheck.contract import SECTIONS, by_section
from nncheck.suite import PROFILES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="reference")
    parser.add_argument("--seeds", type=int, default=100, help="number of seeds (runs)")
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--profile", default="ci", choices=sorted(PROFILES))
    parser.add_argument("--section", action="append", default=[], choices=sorted(SECTIONS),
                        help="only the components of this section of the notes (repeatable)")
    parser.add_argument("--component", action="append", default=[], help="only this component")
    parser.add_argument("--baseline", default=None, metavar="REPORT",
                        help="report.json whose failed/errored invariants are known findings, "
                             "not flakes")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    components = args.component + [c.name for s in args.section for c in by_section()[s]]

    known: set[str] = set()
    if args.baseline:
        baseline = verdicts(json.loads(Path(args.baseline).read_text()))
        known = {k for k, v in baseline.items() if v in ("failed", "error", "not-implemented")}
    failures: Counter[str] = Counter()
    found: Counter[str] = Counter()
    invariant_runs = 0
    started = time.monotonic()
    for seed in range(args.first, args.first + args.seeds):
        report = check(args.impl, components=components, profile=args.profile, seed=seed,
                       use_database=False)
        got = verdicts(report)
        bad = {k: v for k, v in got.items() if v in ("failed", "error") and k not in known}
        found.update(k for k, v in got.items() if v in ("failed", "error") and k in known)
        invariant_runs += sum(k not in known for k in got)
        failures.update(bad.keys())
        known_found = sum(k in known for k, v in got.items() if v in ("failed", "error"))
        print(f"seed {seed}: {len(got)} invariants, {len(bad)} unexpectedly failed or errored"
              + (f" {sorted(bad.items())}" if bad else "")
              + (f" (+{known_found} known findings)" if known else ""), flush=True)

    n_fail = sum(failures.values())
    upper = float(sps.beta.ppf(0.95, n_fail + 1, invariant_runs - n_fail))
    print(f"\nimplementation {args.impl}, profile {args.profile} ({PROFILES[args.profile]} "
          f"examples per property), seeds {args.first}..{args.first + args.seeds - 1}, "
          f"{time.monotonic() - started:.0f} s")
    print(f"invariant-runs: {invariant_runs}, failures: {n_fail}")
    print(f"observed false-alarm rate per invariant-run: {n_fail / invariant_runs:.3g} "
          f"(95 % upper bound {upper:.3g})")
    for key, count in sorted(failures.items()):
        print(f"  {key}: {count}")
    if known:
        print(f"known findings of {args.baseline} ({len(known)} failed, errored or not "
              "implemented there), share of seeds that found each:")
        for key in sorted(k for k in known if found[k]):
            print(f"  {key}: {found[key]}/{args.seeds}")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
