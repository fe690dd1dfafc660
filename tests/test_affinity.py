"""Each checker process and its implementation process share one CPU (nncheck.runtime.affinity)."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

from nncheck import api
from nncheck.runtime import affinity

pytestmark = pytest.mark.skipif(not affinity.can_pin(), reason="no CPU affinity on this platform")

# A correct l2_penalty that writes down, once per process, the CPUs it may run on.
_IMPLEMENTATION = textwrap.dedent("""
    import json, os
    import numpy as np

    with open(os.path.join(os.environ["AFFINITY_DIR"], f"{os.getpid()}.json"), "w") as f:
        json.dump(sorted(os.sched_getaffinity(0)), f)

    def l2_penalty(W, reg):
        return float(0.5 * reg * np.sum(W * W)), reg * W
""")


def test_worker_numbers_come_from_xdist_names():
    assert [affinity.worker_index(w) for w in ("gw0", "gw3", "gw12", None, "", "main")] == \
        [0, 3, 12, 0, 0, 0]


def test_workers_take_the_allowed_cpus_round_robin():
    allowed = sorted(os.sched_getaffinity(0))
    assert [affinity.cpu_for(k) for k in range(2 * len(allowed))] == allowed * 2


def test_pin_and_restore_give_back_the_cpus():
    before = os.sched_getaffinity(0)
    taken = affinity.pin(1)
    try:
        assert taken == before
        assert os.sched_getaffinity(0) == {affinity.cpu_for(1)}
    finally:
        affinity.restore(taken)
    assert os.sched_getaffinity(0) == before


def _cpus_seen(tmp_path, monkeypatch, workers) -> list[list[int]]:
    impl = tmp_path / "impl.py"
    impl.write_text(_IMPLEMENTATION)
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("AFFINITY_DIR", str(seen))
    before = os.sched_getaffinity(0)
    report = api.check(str(impl), components=["l2_penalty"], profile="dev", seed=1,
                       use_database=False, workers=workers)
    assert report["summary"]["conforms"], report["summary"]
    assert os.sched_getaffinity(0) == before, "the caller's CPUs were not given back"
    return [json.loads(p.read_text()) for p in seen.iterdir()]


def test_without_workers_the_implementation_shares_one_cpu(tmp_path, monkeypatch):
    seen = _cpus_seen(tmp_path, monkeypatch, workers=0)
    first = sorted(os.sched_getaffinity(0))[0]
    # the controller's implementation process (for the plots) may stay unpinned; the one the
    # properties call is on the first allowed CPU
    assert [first] in seen, seen


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")
def test_each_worker_and_its_implementation_get_their_own_cpu(tmp_path, monkeypatch):
    seen = _cpus_seen(tmp_path, monkeypatch, workers=2)
    single = sorted(cpus[0] for cpus in seen if len(cpus) == 1)
    allowed = sorted(os.sched_getaffinity(0))
    # every worker connects to its implementation when it collects the suite
    assert single == allowed[:2], seen
