"""How long a full ``nncheck check`` takes, and where the time goes.

Runs the conformance suite against an implementation (default: the reference) once per
profile and worker count, in fresh processes, and prints the wall time of each with its
phases (report.json's ``run.phases_s``: start-up, the properties, the plots' measurements;
the rest of the wall time is the interpreter starting and the report being written), the
parallel speed-up of the whole command and of the property phase alone, and the slowest
invariants (from report.json's per-invariant durations).

    python benchmarks/suite.py                       # ci profile, -n 0 / 1 / 2
    python benchmarks/suite.py --profiles dev ci thorough --workers 1
    python benchmarks/suite.py --boundary --workers auto 0   # what the boundary costs

``--boundary`` runs each configuration twice per round, alternating: as shipped (the
implementation in its own process, nncheck.runtime.boundary) and with the implementation
imported into the checker (``--nncheck-in-process``, for this measurement only), and prints
the median wall times and their ratio, so a loaded machine slows both alike.

It first measures this machine's ceiling for the speed-up: how much faster two concurrent
copies of a CPU-bound job finish than one (on a shared or throttled machine, below 2).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_check(impl: str, profile: str, workers: str, seed: int,
                in_process: bool = False) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "nncheck.cli", "check", "--impl", impl, "--profile", profile,
             "-n", workers, "--seed", str(seed), "--report", tmp, "--no-database",
             *(["--", "--nncheck-in-process"] if in_process else [])],
            capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        report_path = Path(tmp) / "report.json"
        if not report_path.exists():
            sys.exit(f"no report for profile {profile}, -n {workers}:\n{proc.stdout}\n{proc.stderr}")
        return elapsed, json.loads(report_path.read_text())


# A CPU-bound job with no I/O and nothing shared: how much faster two cores run two copies
# than one core runs one is the most that two workers can gain on this machine.
_BUSY = "import time; t = time.perf_counter(); sum(i * i for i in range(20_000_000)); " \
        "print(time.perf_counter() - t)"


def machine_ceiling() -> float:
    """Throughput of two concurrent CPU-bound processes relative to one (2.0 = ideal)."""
    def run(copies: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", _BUSY], stdout=subprocess.PIPE,
                                  text=True) for _ in range(copies)]
        return max(float(p.communicate()[0]) for p in procs)

    alone = min(run(1) for _ in range(3))
    pair = min(run(2) for _ in range(3))
    return 2 * alone / pair


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="reference")
    parser.add_argument("--profiles", nargs="+", default=["ci"])
    parser.add_argument("--workers", nargs="+", default=["0", "1", "2"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slowest", type=int, default=10)
    parser.add_argument("--no-ceiling", action="store_true",
                        help="skip measuring the machine's own two-process speed-up")
    parser.add_argument("--boundary", action="store_true",
                        help="compare the isolated run with the implementation imported into "
                             "the checker, side by side")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --boundary")
    args = parser.parse_args()
    if args.boundary:
        boundary_cost(args)
        return

    if not args.no_ceiling:
        print(f"this machine runs two CPU-bound processes {machine_ceiling():.2f}x as fast as "
              "one (the ceiling for -n 2 over -n 1)\n", flush=True)

    print(f"{'profile':<9} {'-n':>3} {'wall s':>7} {'startup':>8} {'properties':>10} "
          f"{'measure':>8} {'other':>6} {'invariants':>10}  verdict")
    walls, spans = {}, {}
    last_report = None
    for profile in args.profiles:
        for workers in args.workers:
            wall, report = timed_check(args.impl, profile, workers, args.seed)
            phases = report["run"]["phases_s"]
            walls[profile, workers], spans[profile, workers] = wall, phases["properties"]
            last_report = report
            summary = report["summary"]
            verdict = "conforms" if summary["conforms"] else "DOES NOT CONFORM"
            print(f"{profile:<9} {workers:>3} {wall:>7.1f} {phases['startup']:>8.1f} "
                  f"{phases['properties']:>10.1f} {phases['measurements']:>8.1f} "
                  f"{wall - sum(phases.values()):>6.1f} {summary['total']:>10}  {verdict}",
                  flush=True)
    for profile in args.profiles:
        if (profile, "1") in walls and (profile, "2") in walls:
            print(f"speed-up of -n 2 over -n 1 ({profile}): whole command "
                  f"{walls[profile, '1'] / walls[profile, '2']:.2f}x, property phase "
                  f"{spans[profile, '1'] / spans[profile, '2']:.2f}x")
    invariants = [i for c in last_report["components"] for i in c["invariants"]]
    invariants.sort(key=lambda i: -i["duration_s"])
    print(f"\nslowest {args.slowest} invariants (last run):")
    for inv in invariants[: args.slowest]:
        print(f"  {inv['duration_s']:7.2f} s  {inv['component']} :: {inv['invariant']}")


def boundary_cost(args) -> None:
    """Median wall time isolated vs in-process, alternating runs, per profile and -n."""
    import statistics

    print(f"{'profile':<9} {'-n':>5} {'in-process s':>13} {'isolated s':>11} {'cost':>7}")
    for profile in args.profiles:
        for workers in args.workers:
            local, isolated = [], []
            for _ in range(args.rounds):
                local.append(timed_check(args.impl, profile, workers, args.seed, True)[0])
                isolated.append(timed_check(args.impl, profile, workers, args.seed)[0])
            a, b = statistics.median(local), statistics.median(isolated)
            print(f"{profile:<9} {workers:>5} {a:>13.1f} {b:>11.1f} {b / a - 1:>+7.0%}", flush=True)


if __name__ == "__main__":
    main()
