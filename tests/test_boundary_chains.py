"""Calls each fed by the one before (Implementation.iterate): running statistics fed back
into the next update, a weight moved by its gradient. An implementation in its own process
runs the chain in one round trip; the verdicts must be those of a plain loop of calls."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from nncheck.adapters import load
from nncheck.errors import ComponentNotImplemented
from nncheck.implementation import Feed, chain_args
from nncheck.runtime.recording import CallLog, RecordingImplementation

# The running update goes wrong once running_mean[0] passes 0.5, in a way set by the number
# of features: D = 1 is correct, the others raise, return NaN, the wrong shape, mutate their
# input, or return something that cannot feed the next call.
_RUNNING = textwrap.dedent("""
    import numpy as np

    def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
        mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
        var = momentum * running_var + (1 - momentum) * x.var(axis=0)
        d = x.shape[1]
        if d == 1 or running_mean[0] <= 0.5:
            return mean, var
        if d == 2:
            raise ValueError("running_mean passed 0.5")
        if d == 3:
            return mean * np.nan, var
        if d == 4:
            return mean[:-1], var
        if d == 5:
            running_mean[...] = mean
            return mean, var
        return None
""")

_FED_BACK = (Feed(0, 0), Feed(1, 1))
_STEPS = 8


@pytest.fixture(scope="module")
def running_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("chains") / "running.py"
    path.write_text(_RUNNING)
    return str(path)


@pytest.fixture
def remote(running_file, connected):
    """The file in its own process, and the kinds of the requests sent to it."""
    return connected(running_file)


def _start(d: int) -> tuple:
    """running_mean 0, running_var 1 and a batch of ones: running_mean[0] reaches 0.5 after
    a few updates with momentum 0.8 (0, 0.2, 0.36, 0.488, 0.5904: the fifth call goes wrong)."""
    return np.zeros(d), np.ones(d), np.ones((4, d))


def _loop(impl, d: int):
    """What a plain loop of calls returns, or the verdict it raises, and the calls it made."""
    args, results, made = _start(d), [], 0
    try:
        for k in range(_STEPS):
            args = chain_args(args, results[-1] if results else None, _FED_BACK, {}, k)
            made += 1
            results.append(impl.call("batchnorm_running_update", *args, momentum=0.8))
    except Exception as exc:  # noqa: BLE001 -- the verdict is what is compared
        return (type(exc), str(exc)), made
    return results, made


def _chain(impl, d: int, attempted=None):
    try:
        return impl.iterate("batchnorm_running_update", _start(d), _STEPS, _FED_BACK,
                            kwargs={"momentum": 0.8}, attempted=attempted)
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc)


def test_a_remote_chain_is_one_round_trip_with_the_loops_results(remote, running_file):
    impl, sent = remote
    sent.clear()
    got = _chain(impl, 1)
    assert sent == ["chain"]
    want, _ = _loop(load(running_file), 1)
    assert len(got) == _STEPS
    for (mean, var), (want_mean, want_var) in zip(got, want, strict=True):
        np.testing.assert_array_equal(mean, want_mean)
        np.testing.assert_array_equal(var, want_var)
    assert got[-1][0][0] == pytest.approx(1 - 0.8**_STEPS)


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6],
                         ids=["raises", "nan", "wrong-shape", "mutates", "no-tuple"])
def test_a_failing_step_gives_the_loops_verdict(remote, running_file, d):
    impl, _ = remote
    want, made = _loop(load(running_file), d)
    assert isinstance(want, tuple) and made == 5, "the fifth call of the loop must fail"
    attempted = []
    assert _chain(impl, d, attempted) == want
    assert len(attempted) == made  # no step after the failing one is judged


def test_the_local_chain_gives_the_loops_verdict(running_file):
    impl = load(running_file)
    for d in (1, 2, 4, 6):
        want, _ = _loop(impl, d)
        got = _chain(impl, d)
        if d == 1:
            np.testing.assert_array_equal(got[-1][0], want[-1][0])
        else:
            assert got == want


@pytest.mark.parametrize("where", ["remote", "local"])
def test_a_recorded_chain_logs_every_call_made_as_it_was_made(remote, running_file, where):
    impl = remote[0] if where == "remote" else load(running_file)
    log = CallLog()
    _chain(RecordingImplementation(impl, log), 5)  # the fifth call mutates running_mean
    assert [c["component"] for c in log.calls] == ["batchnorm_running_update"] * 5
    assert [c["kwargs"] for c in log.calls] == [{"momentum": 0.8}] * 5
    np.testing.assert_allclose(log.calls[-1]["args"][0], [0.5904] * 5, rtol=1e-15)
    assert log.origin(log.calls[-1]["args"][0]) is None  # a copy, taken before the call


def test_a_chain_cut_short_goes_on_call_by_call(remote, running_file):
    impl, sent = remote
    request = impl.process.request

    def cut(message, label):  # the implementation process answers the first two calls only
        reply = request(message, label)
        return ("many", reply[1][:2]) if message[0] == "chain" else reply

    impl.process.request = cut
    sent.clear()
    got = _chain(impl, 1)
    assert sent == ["chain"] + ["call"] * (_STEPS - 2)
    want, _ = _loop(load(running_file), 1)
    np.testing.assert_array_equal(got[-1][1], want[-1][1])


def test_a_missing_component_is_not_implemented(remote):
    impl, sent = remote
    sent.clear()
    with pytest.raises(ComponentNotImplemented):
        impl.iterate("l2_penalty", (np.ones(2), 0.1), 3, [Feed(1, 0, scale=-1.0, keep=1)])
    assert sent == []


def test_a_feed_computes_only_the_terms_it_is_given():
    out, arg = np.array([-0.0, 2.0]), np.array([1.0, 1.0])
    assert Feed(None, 0).value((arg,), out) is out
    np.testing.assert_array_equal(Feed(None, 0, scale=-0.5, keep=1).value((arg,), out), [1, 0])
    np.testing.assert_array_equal(Feed(None, 0, scale=2.0, shift=arg).value((arg,), out), [1, 5])
    np.testing.assert_array_equal(Feed(1, 0, keep=3).value((arg,), (None, out)), [3, 5])
    assert chain_args((arg, 1), None, [Feed(None, 0)], {1: [7, 8]}, 0) == (arg, 7)
    assert chain_args((arg, 1), out, [Feed(None, 0)], {1: [7, 8]}, 1)[0] is out
