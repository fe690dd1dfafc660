"""Exceptions that carry a verdict.

The pytest plugin classifies how an invariant ended by the exception it ended with:

* :class:`ContractViolation` (an ``AssertionError``): the implementation answered, but
  the answer breaks the contract (NaN, wrong shape or dtype, mutated input) -> *failed*.
* :class:`ImplementationRaised`: the implementation itself raised -> *error*.
* :class:`ComponentNotImplemented`: the implementation lacks the component ->
  *not-implemented*.
* :class:`ImplementationFault`: the implementation process crashed, hung or broke a
  resource limit -> *error*.
* :class:`UsageError`: the user asked for something impossible (bad ``--impl``, unknown
  component); the CLI prints it on one line and exits 2.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line input or an implementation spec that cannot be loaded."""


class ComponentNotImplemented(Exception):
    """The implementation under test does not provide this component."""

    def __init__(self, component: str, implementation: str):
        super().__init__(f"{implementation} does not implement {component!r}")
        self.component = component
        self.implementation = implementation


class ContractViolation(AssertionError):
    """The implementation returned something the contract forbids."""


class ImplementationRaised(Exception):
    """The implementation raised while being called; the original is chained as __cause__."""


class ImplementationFault(BaseException):
    """The implementation process crashed, hung or broke a resource limit during an invariant.

    A ``BaseException``, so that it ends the property at once: Hypothesis neither retries
    nor shrinks it (every later call in the same invariant would meet the same fault). The
    plugin turns it into an *error* verdict whose message is ``str(fault)``; ``cause`` is
    one of "crashed", "timeout", "memory", "processes", "cpu", "protocol".
    """

    def __init__(self, cause: str, message: str):
        super().__init__(message)
        self.cause = cause
