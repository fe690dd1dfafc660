"""Kill rate of the mutation corpus, and how fast the suite finds each mutant's bug.

Every file in ``tests/mutants/`` is an implementation with one realistic bug and the
invariants that must reject it (``MUST_FAIL``). This runs the suite against each mutant's
components, in this process, with Hypothesis' shrinking switched off, so an invariant's
duration is the time from its start to its first counterexample. It prints:

* the kill rate: mutants rejected by at least one invariant of their component, and
  (mutant, must-fail invariant) pairs that failed as listed;
* the median time to the first counterexample, over the (mutant, invariant) pairs that
  failed, and over the mutants (each mutant's fastest invariant).

    python benchmarks/mutants.py                    # every mutant, ci profile, seed 0
    python benchmarks/mutants.py --seed 3 --only pca_
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from pathlib import Path

from nncheck import suite
from nncheck.adapters.module import load_file_as_module
from nncheck.api import check

MUTANTS_DIR = Path(__file__).resolve().parents[1] / "tests" / "mutants"


def _without_shrinking():
    """Make every property stop at its first counterexample (no shrink phase)."""
    from hypothesis import Phase, settings

    with_shrinking = suite.profile_settings

    def profile_settings(name=None):
        base = with_shrinking(name)
        return settings(base, phases=[p for p in base.phases if p is not Phase.shrink])

    suite.profile_settings = profile_settings


def run_mutant(path: Path, profile: str, seed: int) -> dict:
    must_fail = load_file_as_module(path).MUST_FAIL
    components = sorted({key.split("::")[0] for key in must_fail})
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        report = check(str(path), components=components, profile=profile, seed=seed,
                       use_database=False)
    wall = time.perf_counter() - started
    results = {f"{c['name']}::{i['invariant']}": i for c in report["components"]
               for i in c["invariants"]}
    failed = {k: v["duration_s"] for k, v in results.items() if v["status"] == "failed"}
    return {"name": path.stem, "must_fail": must_fail, "failed": failed, "wall_s": wall,
            "killed": bool(failed), "listed_failed": [k for k in must_fail if k in failed]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci", choices=sorted(suite.PROFILES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="only mutants whose name starts with this")
    args = parser.parse_args()
    _without_shrinking()

    paths = sorted(p for p in MUTANTS_DIR.glob("*.py") if p.stem.startswith(args.only))
    rows = []
    for path in paths:
        row = run_mutant(path, args.profile, args.seed)
        rows.append(row)
        first = min(row["failed"].values(), default=float("nan"))
        print(f"{row['name']:<48} {'killed' if row['killed'] else 'SURVIVED':<8} "
              f"{len(row['listed_failed'])}/{len(row['must_fail'])} listed invariants failed; "
              f"first counterexample after {first:.3f} s", flush=True)

    killed = sum(r["killed"] for r in rows)
    pairs = sum(len(r["must_fail"]) for r in rows)
    pairs_failed = sum(len(r["listed_failed"]) for r in rows)
    pair_times = [r["failed"][k] for r in rows for k in r["listed_failed"]]
    mutant_times = [min(r["failed"].values()) for r in rows if r["failed"]]
    print(f"\n{len(rows)} mutants, profile {args.profile}, seed {args.seed}, no shrinking")
    print(f"kill rate: {killed}/{len(rows)} mutants ({killed / max(len(rows), 1):.1%}); "
          f"{pairs_failed}/{pairs} listed (mutant, invariant) pairs failed")
    if pair_times:
        print(f"median time to the first counterexample: {statistics.median(mutant_times):.3f} s "
              f"per mutant (its fastest invariant), {statistics.median(pair_times):.3f} s per "
              f"(mutant, invariant) pair; slowest pair {max(pair_times):.3f} s")
    survivors = [r["name"] for r in rows if not r["killed"]]
    if survivors:
        print("SURVIVED: " + ", ".join(survivors))


if __name__ == "__main__":
    main()
