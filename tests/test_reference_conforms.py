"""The reference implementation passes the whole suite, and the report says so."""

from nncheck.api import check, list_invariants, verdicts


def test_reference_passes_every_invariant():
    report = check("reference", profile="dev", seed=0)
    got = verdicts(report)
    expected = {f"{c}::{i}" for c, invs in list_invariants().items() for i in invs}
    assert set(got) == expected
    assert {k: v for k, v in got.items() if v != "passed"} == {}
    assert report["summary"]["conforms"] is True
    assert report["implementation"]["name"] == "reference"
