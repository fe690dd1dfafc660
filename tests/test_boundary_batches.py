"""Several calls in one round trip to the implementation process: call_many, the methods of
an estimator (call_method_many) and a gradient check's points (Implementation.along)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from nncheck.errors import ContractViolation, ImplementationRaised
from nncheck.gradcheck import check_gradient
from nncheck.runtime.calling import call_method, call_method_many
from nncheck.runtime.recording import CallLog, RecordingImplementation

_ESTIMATOR = textwrap.dedent("""
    import numpy as np

    class _Centering:
        def __init__(self, n_components=None):
            self.n_components = n_components

        def fit(self, X):
            self.mean_ = X.mean(axis=0)
            d = X.shape[1]
            self.components_ = np.eye(d)
            self.explained_variance_ = np.sort(X.var(axis=0))[::-1]
            return self

        def transform(self, X):
            if X.shape[0] == 3:
                X -= 1.0  # a defect: the third call below mutates its input
            if X.shape[0] == 4:
                raise ValueError("four rows")
            return (X - self.mean_) @ self.components_

        def inverse_transform(self, Z):
            return Z @ self.components_.T + self.mean_

    def pca(n_components=None):
        return _Centering(n_components)
""")


@pytest.fixture
def counted(tmp_path, connected):
    """The estimator file in its own process, and the kinds of the requests sent to it."""
    path = tmp_path / "centering.py"
    path.write_text(_ESTIMATOR)
    return connected(str(path))


def test_the_rows_of_an_estimator_go_in_one_round_trip(counted):
    impl, sent = counted
    X = np.random.default_rng(0).normal(size=(6, 2))
    est = call_method(impl.call("pca"), "fit", X, output="self", label="pca")
    sent.clear()
    rows = call_method_many(est, "transform", [((X[i:i + 1],), {}) for i in range(5)],
                            output="like:X", label="pca")
    assert sent == ["methods"]
    np.testing.assert_allclose(np.vstack(rows), X[:5] - X.mean(axis=0))


def test_the_first_failing_row_gives_its_own_verdict(counted):
    impl, _ = counted
    X = np.random.default_rng(1).normal(size=(6, 2))
    est = call_method(impl.call("pca"), "fit", X, output="self", label="pca")
    with pytest.raises(ContractViolation, match="pca.transform mutated its input"):
        call_method_many(est, "transform", [((X[:1],), {}), ((X[:3],), {})], label="pca")
    with pytest.raises(ImplementationRaised, match="four rows"):
        call_method_many(est, "transform", [((X[:2],), {}), ((X[:4],), {})], label="pca")
    with pytest.raises(ContractViolation, match="has no method score"):
        call_method_many(est, "score", [((X,), {})], label="pca")


def test_a_recorded_estimator_logs_every_batched_call(counted):
    impl, sent = counted
    log = CallLog()
    recording = RecordingImplementation(impl, log)
    X = np.random.default_rng(2).normal(size=(5, 2))
    est = call_method(recording.call("pca"), "fit", X, output="self", label="pca")
    before = len(log.calls)
    sent.clear()
    call_method_many(est, "transform", [((X[i:i + 1],), {}) for i in range(2)], label="pca")
    assert sent == ["methods"]
    assert [c["method"] for c in log.calls[before:]] == ["transform", "transform"]


def test_a_local_estimator_is_called_row_by_row():
    from nncheck.reference.preprocessing import PCA

    X = np.random.default_rng(3).normal(size=(6, 3))
    est = PCA().fit(X)
    rows = call_method_many(est, "transform", [((X[i:i + 1],), {}) for i in range(6)],
                            output="like:X", label="pca")
    np.testing.assert_allclose(np.vstack(rows), est.transform(X))


def test_a_gradient_check_sends_its_first_opinions_together(connected):
    impl, sent = connected("reference")
    rng = np.random.default_rng(4)
    scores, y = rng.normal(size=(3, 4)), rng.integers(0, 4, 3)
    _, grad = impl.call("softmax_loss", scores, y)
    sent.clear()
    check_gradient(impl.along("softmax_loss", (scores, y), 0), scores, grad, mode="full")
    assert sent == ["many"]
    bad = grad.copy()
    bad[1, 2] += 0.1
    with pytest.raises(AssertionError, match="1, 2"):
        check_gradient(impl.along("softmax_loss", (scores, y), 0), scores, bad, mode="full")
