"""Fixtures shared by nncheck's own tests."""

from __future__ import annotations

import pytest

from nncheck.runtime.boundary import connect


@pytest.fixture
def connected():
    """``open(spec)``: the implementation ``spec`` in its own process, inside an invariant,
    and the list of the kinds of the requests sent to it ("call", "many", "chain", ...).
    Tests may replace ``impl.process.request`` further; it is put back afterwards."""
    opened = []

    def open_(spec: str):
        impl, sent = connect(spec), []
        request = impl.process.request
        impl.process.request = lambda message, label: sent.append(message[0]) or request(
            message, label)
        impl.process.begin_invariant()
        opened.append((impl, request))
        return impl, sent

    yield open_
    for impl, request in opened:  # a connection is shared by later tests: leave it as it was
        impl.process.request = request
        impl.process.end_invariant()
