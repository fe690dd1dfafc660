"""Zero flakes: run the whole suite against an implementation under many Hypothesis seeds.

A correct implementation must pass under every seed; each failure here is either a real bug
of the implementation or a false alarm of the suite (a flaky property). Every run ignores
Hypothesis' example database, so a seed alone decides its outcome and replays it.

    python benchmarks/flakes.py --seeds 100                 # the reference
    python benchmarks/flakes.py --impl torch --seeds 20 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def run_seed(impl: str, seed: int, profile: str) -> tuple[int, list[str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nncheck.cli", "check", "--impl", impl, "--profile", profile,
             "-n", "0", "--seed", str(seed), "--report", tmp, "--", "--nncheck-no-database"],
            capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        path = Path(tmp) / "report.json"
        if not path.exists():
            return seed, ["<no report: the run broke>"], elapsed
        report = json.loads(path.read_text())
    bad = [f"{c['name']}::{i['invariant']} {i['status']}: {i['message'].splitlines()[0]}"
           for c in report["components"] for i in c["invariants"]
           if i["status"] in ("failed", "error")]
    return seed, bad, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="reference")
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds (1..N)")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel")
    args = parser.parse_args()

    seeds = range(args.first_seed, args.first_seed + args.seeds)
    failures = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        for seed, bad, elapsed in pool.map(lambda s: run_seed(args.impl, s, args.profile), seeds):
            failures += len(bad)
            print(f"seed {seed:>5}: {len(bad)} failing invariant(s), {elapsed:.1f} s", flush=True)
            for line in bad:
                print(f"    {line}", flush=True)
    print(f"\n{args.impl}: {failures} failing invariant(s) over {args.seeds} seeds "
          f"(profile {args.profile})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
