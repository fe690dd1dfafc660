"""Run the "Weight Initialization" properties on the reference under many Hypothesis seeds.

Every statistical property of the suite states a false-alarm rate: the probability that it
rejects a *correct* implementation in one run. This script measures it. It runs the
properties of the initialization components against the reference once per seed
(``--seeds`` runs, seeds 0, 1, ...; the ``ci`` profile unless ``--profile`` says
otherwise), counts every invariant that did not pass, and prints the observed false-alarm
rate per invariant-run with its exact (Clopper-Pearson) 95 % upper bound.

    python benchmarks/seed_sweep.py --seeds 50

Exit status 1 if any invariant failed on the reference (a flake, or a wrong property).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from scipy import stats as sps

from nncheck.api import check, verdicts
from nncheck.contract import INITIALIZATION, by_section
from nncheck.suite import PROFILES

COMPONENTS = [c.name for c in by_section()[INITIALIZATION]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="number of seeds (runs)")
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--profile", default="ci", choices=sorted(PROFILES))
    parser.add_argument("--impl", default="reference", help="implementation (default reference)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")

    failures: Counter[str] = Counter()
    invariant_runs = 0
    started = time.monotonic()
    for seed in range(args.first, args.first + args.seeds):
        got = verdicts(check(args.impl, components=COMPONENTS, profile=args.profile, seed=seed))
        bad = {k: v for k, v in got.items() if v != "passed"}
        invariant_runs += len(got)
        failures.update(bad)
        print(f"seed {seed}: {len(got)} invariants, {len(bad)} not passed"
              + (f" {sorted(bad.items())}" if bad else ""), flush=True)

    n_fail = sum(failures.values())
    upper = float(sps.beta.ppf(0.95, n_fail + 1, invariant_runs - n_fail))
    examples = PROFILES[args.profile]
    print()
    print(f"implementation {args.impl}, profile {args.profile} ({examples} examples per "
          f"property), seeds {args.first}..{args.first + args.seeds - 1}, "
          f"{time.monotonic() - started:.0f} s")
    print(f"invariant-runs: {invariant_runs}, failures: {n_fail}")
    print(f"observed false-alarm rate per invariant-run: {n_fail / invariant_runs:.3g} "
          f"(95 % upper bound {upper:.3g}; per Hypothesis example at most "
          f"{upper / examples:.3g})")
    for key, count in sorted(failures.items()):
        print(f"  {key}: {count}")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
