"""Failure text in the user's terms: pytest's and Hypothesis' internals taken out.

* :func:`clean_message` drops what pytest's assertion rewriting appends to the message of
  a failed ``assert cond, "message"`` (``assert np.False_``, the ``+  where ...`` lines, a
  comparison's "Left contains one more item" diff): the message already says what broke.
* :func:`clean_counterexample` replaces Hypothesis' ``data=data(...)`` (which hides every
  value drawn inside the test) with those values, from its ``Draw 1: ...`` notes.
* :func:`clean_reproduce` keeps the ``@reproduce_failure(...)`` blob itself, not the advice
  to add it "as a decorator on your test function" (a user has no such test function;
  ``nncheck repro`` replays a failure).

Each rule has a test on a real failure in ``tests/test_hints.py``.
"""

from __future__ import annotations

import re

# pytest's explanation of a failed assert starts at a line "assert <expr>" and runs to the
# end of the exception's text (" +  where ..." lines, a comparison's diff).
_REWRITE_START = re.compile(r"^assert ")
_DATA_LINE = re.compile(r"^(\s*)(\w+)=data\(\.\.\.\),?\s*$")
_DRAW_NOTE = re.compile(r"^Draw \d+( \([^)]*\))?: ", re.S)
_BLOB = re.compile(r"@reproduce_failure\([^)]*\)")


def clean_message(text: str) -> str:
    """One exception's ``text`` without pytest's explanation of the failed ``assert``
    (kept whole when the assert had no message of its own)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if _REWRITE_START.match(line)), None)
    if not start:  # None, or the text is only the explanation
        return text
    return "\n".join(lines[:start]).rstrip()


def is_draw_note(note: str) -> bool:
    return bool(_DRAW_NOTE.match(note))


def clean_counterexample(example: str, draws: list[str]) -> str:
    """``example`` with each ``name=data(...)`` argument replaced by what it drew."""
    if not draws:
        return example
    out = []
    for line in example.splitlines():
        found = _DATA_LINE.match(line)
        if not found:
            out.append(line)
            continue
        indent, name = found.groups()
        out.append(f"{indent}# {name}: values drawn inside the property, in order:")
        for draw in draws:
            first, *rest = draw.splitlines()
            out.append(f"{indent}#   {first}")
            out += [f"{indent}#   {line}" for line in rest]
    return "\n".join(out)


def clean_reproduce(note: str) -> str:
    """The ``@reproduce_failure('version', b'...')`` blob(s) of Hypothesis' note."""
    blobs = _BLOB.findall(note)
    return "\n".join(blobs) if blobs else note
