"""Time the reference PCA whitening on a CIFAR-10-sized matrix next to scikit-learn's.

    python benchmarks/preprocessing.py                 # 50,000 x 3,072, float32 and float64
    python benchmarks/preprocessing.py --n 5000 --d 512 --dtypes float64   # a quick look

Each case runs in a fresh subprocess, so its peak memory (ru_maxrss) is its own. A case
builds the data matrix first (in place, chunk by chunk: nothing bigger than the matrix is
allocated), records the resident memory at that point, then fits and transforms. Reported:

* fit / transform / total seconds (wall clock; the machine may be shared: compare the two
  implementations within one run, not across runs);
* peak RSS over the whole case, and the part of it above the data matrix (``extra``), both
  also as multiples of the data size. With k = D the output is as large as the input, so
  ``peak / data`` cannot be below 2 for either implementation.

Cases: the reference ``Whitening()`` (fit(X), then transform(X)) and scikit-learn's
``PCA(whiten=True).fit_transform(X)`` (its fastest path: the transform of the training data
comes from the SVD, with no second product). scikit-learn is optional (``pip install
scikit-learn``); without it only the reference runs.

The data is image-like: a low-rank smooth part plus pixel noise, values roughly in [0, 255].
The timings do not depend on the values (a dense eigendecomposition costs the same for any
symmetric matrix).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def make_data(n: int, d: int, dtype: str, seed: int = 0) -> np.ndarray:
    """[n x d] image-like data built in place, chunk by chunk (peak ~ the matrix itself)."""
    rng = np.random.default_rng(seed)
    rank = min(32, d)
    basis = rng.standard_normal((rank, d)) * np.linspace(40.0, 2.0, rank)[:, None] / np.sqrt(d)
    X = np.empty((n, d), dtype=dtype)
    step = 4096
    for start in range(0, n, step):
        rows = min(step, n - start)
        block = rng.standard_normal((rows, rank)) @ basis * np.sqrt(d)
        block += rng.standard_normal((rows, d)) * 8.0 + 120.0
        X[start:start + rows] = block
    return X


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def run_case(impl: str, n: int, d: int, dtype: str) -> dict:
    """One measurement, in this process (called in a fresh subprocess by main)."""
    warm = make_data(64, 8, dtype, seed=1)  # imports and first calls happen before timing
    X = make_data(n, d, dtype)
    base = _rss_bytes()
    if impl == "reference":
        from nncheck.reference.preprocessing import Whitening

        Whitening().fit(warm).transform(warm)
        t0 = time.perf_counter()
        est = Whitening().fit(X)
        t1 = time.perf_counter()
        Z = est.transform(X)
        t2 = time.perf_counter()
        fit_s, transform_s = t1 - t0, t2 - t1
    else:
        from sklearn.decomposition import PCA

        PCA(whiten=True).fit_transform(warm)
        t0 = time.perf_counter()
        Z = PCA(whiten=True).fit_transform(X)
        t2 = time.perf_counter()
        fit_s, transform_s = t2 - t0, 0.0
    peak = _peak_bytes()
    assert np.isfinite(Z).all(), f"{impl}: non-finite output"
    return {"impl": impl, "dtype": dtype, "n": n, "d": d, "fit_s": fit_s,
            "transform_s": transform_s, "total_s": fit_s + transform_s,
            "data_bytes": X.nbytes, "base_rss": base, "peak_rss": peak,
            "out_dtype": str(Z.dtype)}


def _subprocess(impl: str, n: int, d: int, dtype: str) -> dict:
    cmd = [sys.executable, __file__, "--case", impl, "--n", str(n), "--d", str(d),
           "--dtypes", dtype]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"case {impl}/{dtype} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _have_sklearn() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="rows (default 50,000)")
    parser.add_argument("--d", type=int, default=3_072, help="columns (default 3,072)")
    parser.add_argument("--dtypes", default="float32,float64", help="comma-separated dtypes")
    parser.add_argument("--no-sklearn", action="store_true", help="time the reference only")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case here
    args = parser.parse_args(argv)
    dtypes = [t.strip() for t in args.dtypes.split(",") if t.strip()]
    for t in dtypes:
        if t not in ("float32", "float64"):
            parser.error(f"dtype must be float32 or float64, got {t!r}")
    if args.case:
        print(json.dumps(run_case(args.case, args.n, args.d, dtypes[0])))
        return 0
    impls = ["reference"]
    if not args.no_sklearn:
        if _have_sklearn():
            impls.append("sklearn")
        else:
            print("scikit-learn is not installed: timing the reference only", file=sys.stderr)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"PCA whitening, fit + transform of X [{args.n} x {args.d}]; "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at start")
    header = (f"{'dtype':8} {'implementation':30} {'fit s':>7} {'transf. s':>9} {'total s':>8} "
              f"{'peak GB':>8} {'extra GB':>8} {'peak/data':>9} {'extra/data':>10}")
    print(header)
    print("-" * len(header))
    results = []
    for dtype in dtypes:
        totals = {}
        for impl in impls:
            r = _subprocess(impl, args.n, args.d, dtype)
            results.append(r)
            totals[impl] = r["total_s"]
            extra = r["peak_rss"] - r["base_rss"]
            name = ("reference Whitening fit+transform" if impl == "reference"
                    else "sklearn PCA(whiten).fit_transform")
            print(f"{dtype:8} {name:30.30} {r['fit_s']:7.2f} {r['transform_s']:9.2f} "
                  f"{r['total_s']:8.2f} {r['peak_rss'] / 1e9:8.2f} {extra / 1e9:8.2f} "
                  f"{r['peak_rss'] / r['data_bytes']:9.2f} {extra / r['data_bytes']:10.2f}",
                  flush=True)
        if "sklearn" in totals:
            ratio = totals["reference"] / totals["sklearn"]
            print(f"{dtype:8} reference / sklearn time: {ratio:.2f}x")
    print("peak = max RSS of the case's process (includes the data, the output, the interpreter);"
          " extra = peak - RSS once the data existed")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
