"""Counterexamples that leave Hypothesis behind: recorded calls and standalone repro scripts.

While a property runs, the plugin hands it a *recording* implementation
(:class:`nncheck.runtime.recording.RecordingImplementation`): every call of a component, and of a method on an
estimator a component returned, is logged with its arguments. The log is cleared whenever
Hypothesis starts a new example, so when a property fails the log holds exactly the calls
of the final, shrunk, failing example. :func:`serialise_calls` turns that log into plain
JSON (the ``example`` field of a verdict in report.json, see docs/report-schema.md),
together with what the nncheck reference returns for the same calls, where it has the
component.

:func:`repro_script` writes a Python script from that JSON which needs only numpy and the
implementation: it replays the calls, checks the outputs for dtype, shape, finiteness and
agreement with the reference outputs (random components are compared by their summary
statistics, since the same seed need not give the same draws), checks that no input was
mutated, prints every disagreement, and exits 1 if it found one. ``nncheck repro REPORT
FAILURE_ID`` prints or writes it.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from nncheck.contract import COMPONENTS, SEEDED
from nncheck.runtime.recording import CallLog, RecordedObject

# Above this many array elements in one example the inputs are not stored (report size).
MAX_ELEMENTS = 200_000


# ------------------------------------------------------------------------ JSON encoding

def encode(value: Any, log: CallLog | None = None) -> dict:
    """A JSON-able description of ``value``; see docs/report-schema.md ("values")."""
    if log is not None:
        origin = log.origin(value)
        if origin is not None:
            return {"type": "output", "call": origin[0], "index": origin[1]}
    if isinstance(value, RecordedObject):
        return encode(value._nncheck_obj, log)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            return {"type": "opaque", "repr": _short(repr(value))}
        return {"type": "ndarray", "dtype": value.dtype.str, "shape": list(value.shape),
                "data": [_number(x) for x in value.ravel().tolist()]}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"type": "npscalar", "dtype": value.dtype.str, "value": _number(value.item())}
    if value is None or isinstance(value, (bool, int, str)):
        return {"type": "scalar", "value": value}
    if isinstance(value, float):
        return {"type": "scalar", "value": _number(value)}
    if isinstance(value, (tuple, list)):
        return {"type": type(value).__name__, "items": [encode(v, log) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"type": "dict", "items": {k: encode(v, log) for k, v in value.items()}}
    return {"type": "opaque", "repr": _short(repr(value))}


def decode(data: dict, outputs: list | None = None) -> Any:
    """Inverse of :func:`encode`; ``outputs[i]`` is what call ``i`` returned."""
    kind = data["type"]
    if kind == "ndarray":
        flat = [_unnumber(x) for x in data["data"]]
        return np.array(flat, dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if kind == "npscalar":
        return np.dtype(data["dtype"]).type(_unnumber(data["value"]))
    if kind == "scalar":
        return _unnumber(data["value"])
    if kind in ("tuple", "list"):
        items = [decode(v, outputs) for v in data["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v, outputs) for k, v in data["items"].items()}
    if kind == "output":
        value = outputs[data["call"]]
        return value if data["index"] is None else value[data["index"]]
    raise ValueError(f"cannot rebuild an opaque value: {data.get('repr')}")


def _number(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def _unnumber(x: Any) -> Any:
    return float(x) if x in ("nan", "inf", "-inf") else x


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:200] + "..."


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return value.size
    if isinstance(value, (tuple, list)):
        return sum(_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    return 1


def serialise_calls(log: CallLog) -> dict | None:
    """The ``example`` block of a verdict: the logged calls plus the reference's answers."""
    if not log.calls:
        return None
    size = sum(_size(c["args"]) + _size(c["kwargs"]) for c in log.calls)
    if size > MAX_ELEMENTS:
        return {"complete": False, "reason": f"inputs too large to store ({size} elements)",
                "calls": []}
    calls = []
    for call in log.calls:
        calls.append({
            "component": call["component"], "method": call["method"], "target": call["target"],
            "args": [encode(a, log) for a in call["args"]],
            "kwargs": {k: encode(v, log) for k, v in call["kwargs"].items()},
        })
    complete = not any(_has_opaque(c) for c in calls)
    _attach_reference(calls)
    block = {"complete": complete, "calls": calls}
    if not complete:
        block["reason"] = "some inputs are objects that cannot be stored as data"
    return block


def _has_opaque(data: Any) -> bool:
    if isinstance(data, dict):
        if data.get("type") == "opaque":
            return True
        return any(_has_opaque(v) for v in data.values())
    if isinstance(data, list):
        return any(_has_opaque(v) for v in data)
    return False


def _attach_reference(calls: list[dict]) -> None:
    """Run the same calls on the reference; store its outputs as ``expected`` per call."""
    try:
        from nncheck.adapters.reference import reference_functions

        reference = reference_functions()
    except Exception:  # pragma: no cover - the reference must import; be safe anyway
        return
    outputs: list[Any] = []
    for call in calls:
        value, note = None, ""
        try:
            if call["method"] is None:
                fn = reference.get(call["component"])
                if fn is None:
                    raise LookupError("the reference has no such component")
            else:
                fn = getattr(outputs[call["target"]], call["method"])
            args = [decode(a, outputs) for a in call["args"]]
            kwargs = {k: decode(v, outputs) for k, v in call["kwargs"].items()}
            value = fn(*args, **kwargs)
            call["expected"] = encode(value) if not _is_object(value) else None
        except Exception as exc:  # the reference cannot answer: no expected value
            note = f"{type(exc).__name__}: {exc}"
            call["expected"] = None
        if note:
            call["expected_note"] = _short(note)
        outputs.append(value)


def _is_object(value: Any) -> bool:
    encoded = encode(value)
    return _has_opaque(encoded)


# ------------------------------------------------------------------------ failures and scripts

def failures(report: dict) -> list[dict]:
    """Every failed or error invariant of a report, with its id, in report order."""
    found = []
    for comp in report["components"]:
        for inv in comp["invariants"]:
            if inv["status"] in ("failed", "error"):
                found.append({**inv, "id": f"{comp['name']}::{inv['invariant']}"})
    return found


def find_failure(report: dict, wanted: str) -> dict:
    """A failure by id ("component::invariant"), by invariant name, or by 1-based number."""
    found = failures(report)
    if not found:
        raise LookupError("the report has no failures or errors")
    if wanted.isdigit() and 1 <= int(wanted) <= len(found):
        return found[int(wanted) - 1]
    exact = [f for f in found if f["id"] == wanted or f["invariant"] == wanted]
    if len(exact) == 1:
        return exact[0]
    choices = "; ".join(f"{i}: {f['id']}" for i, f in enumerate(found, 1))
    what = "is ambiguous" if exact else "is not a failure of this report"
    raise LookupError(f"{wanted!r} {what}; failures are {choices}")


_SCRIPT = '''#!/usr/bin/env python3
r"""Standalone reproduction of an nncheck failure (needs {needs}).

implementation: {impl_name} (spec {spec!r})
failure:        {failure_id} ({status})
invariant:      {description}
seed:           {seed}
report:         nncheck {nncheck_version}, schema {schema_version}

The property failed with:
{message}

This script replays the calls of the shrunk counterexample that Hypothesis found,
with the same inputs, and compares each output with what the nncheck reference returned
for the same inputs (stored in the report). It exits 1 when it shows a disagreement.
"""

import importlib
import importlib.util
import json
import sys
import traceback

import numpy as np

# The implementation: a .py file (its path may be given as the first argument instead),
# or a spec for nncheck's adapters. LOADER "file": a native-contract file, imported here
# and called by the contract's names (numpy only); "adapter": built by nncheck's adapters
# with CONVENTIONS, every convention the run declared or detected, as the run built it.
SPEC = sys.argv[1] if len(sys.argv) > 1 else {spec!r}
CONVENTIONS = {conventions!r}
LOADER = {loader!r}
SEEDED = {seeded!r}  # random components: compared by summary statistics, not draw by draw
SIGN_FREE = ("pca", "whitening")  # the sign of each principal axis is free: columns aligned
RTOL, ATOL = 1e-7, 1e-10
CALLS = json.loads(r"""
{calls_json}
""")


def load(name):
    """The implementation's callable for component ``name``."""
    if LOADER == "file" and SPEC.endswith(".py"):
        spec = importlib.util.spec_from_file_location("implementation_under_test", SPEC)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, name)
    # Not a plain file: use nncheck's adapter to build the implementation (no Hypothesis).
    try:
        from nncheck.adapters import load as load_implementation
    except ImportError:
        raise SystemExit("this implementation was checked through nncheck's adapter "
                         f"(conventions {{CONVENTIONS}}): install nncheck to replay it") from None

    return load_implementation(SPEC, CONVENTIONS).raw(name)


def number(x):
    return float(x) if x in ("nan", "inf", "-inf") else x


def decode(data, outputs):
    kind = data["type"]
    if kind == "ndarray":
        flat = [number(x) for x in data["data"]]
        return np.array(flat, dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if kind == "npscalar":
        return np.dtype(data["dtype"]).type(number(data["value"]))
    if kind == "scalar":
        return number(data["value"])
    if kind in ("tuple", "list"):
        items = [decode(v, outputs) for v in data["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {{k: decode(v, outputs) for k, v in data["items"].items()}}
    if kind == "output":
        value = outputs[data["call"]]
        return value if data["index"] is None else value[data["index"]]
    raise SystemExit("this counterexample holds an object that was not stored: " + data["repr"])


def show(value):
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=17, threshold=200, linewidth=100):
            return f"array(dtype={{value.dtype}}, shape={{value.shape}})\\n{{value!r}}"
    return repr(value)


def stats(a):
    a = np.asarray(a, dtype=np.float64)
    return (f"n={{a.size}} mean={{a.mean():.6g}} std={{a.std():.6g}} "
            f"min={{a.min():.6g}} max={{a.max():.6g}} zeros={{np.mean(a == 0):.4f}}")


def compare(got, want, label, seeded):
    """Print and count the disagreements between an output and the reference's."""
    problems = 0
    if isinstance(want, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            print(f"  DISAGREE {{label}}: expected a tuple of {{len(want)}}, "
                  f"got {{type(got).__name__}}")
            return 1
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            problems += compare(g, w, f"{{label}}[{{k}}]", seeded)
        return problems
    if not isinstance(want, (np.ndarray, np.generic, float, int)) or isinstance(want, bool):
        return 0
    g = np.asarray(got)
    w = np.asarray(want, dtype=np.float64)
    if isinstance(want, np.ndarray) and (not isinstance(got, np.ndarray)
                                         or got.dtype != np.float64):
        print(f"  DISAGREE {{label}}: expected a float64 array, got {{type(got).__name__}} "
              f"{{getattr(got, 'dtype', '')}}")
        problems += 1
    if g.shape != w.shape:
        print(f"  DISAGREE {{label}}: shape {{g.shape}}, reference shape {{w.shape}}")
        return problems + 1
    try:
        g = g.astype(np.float64)
    except (TypeError, ValueError):
        print(f"  DISAGREE {{label}}: not numeric: {{got!r}}")
        return problems + 1
    if not np.all(np.isfinite(g)):
        print(f"  DISAGREE {{label}}: {{int((~np.isfinite(g)).sum())}} non-finite element(s)")
        problems += 1
    if seeded:
        print(f"  {{label}} implementation: {{stats(g)}}")
        print(f"  {{label}} reference:      {{stats(w)}}  (same seed; draws may differ)")
        return problems
    diff = np.abs(g - w)
    bad = ~(diff <= ATOL + RTOL * np.abs(w))
    if bad.any():
        where = np.unravel_index(int(np.nanargmax(np.where(bad, diff, -1.0))), diff.shape)
        where = tuple(int(i) for i in where)
        print(f"  DISAGREE {{label}}: {{int(bad.sum())}} of {{bad.size}} element(s) differ "
              f"(rtol={{RTOL}}, atol={{ATOL}}); greatest difference {{np.nanmax(diff):.6g}} at "
              f"{{where}}: implementation {{g[where]!r}}, reference {{w[where]!r}}")
        problems += 1
    else:
        print(f"  {{label}} agrees with the reference")
    return problems


def main():
    functions, outputs, problems = {{}}, [], 0
    for i, call in enumerate(CALLS):
        args = [decode(a, outputs) for a in call["args"]]
        kwargs = {{k: decode(v, outputs) for k, v in call["kwargs"].items()}}
        before = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
        if call["method"] is None:
            name = call["component"]
            if name not in functions:
                functions[name] = load(name)
            fn, label = functions[name], name
        else:
            fn = getattr(outputs[call["target"]], call["method"])
            label = f"{{call['component']}}(...).{{call['method']}}"
        print(f"call {{i + 1}}: {{label}}(")
        for a in args:
            print("    " + show(a).replace("\\n", "\\n    ") + ",")
        for k, v in kwargs.items():
            print(f"    {{k}}=" + show(v).replace("\\n", "\\n    ") + ",")
        print(")")
        try:
            result = fn(*args, **kwargs)
        except Exception:
            print("  the implementation RAISED:")
            print("  " + traceback.format_exc().replace("\\n", "\\n  "))
            return 1
        outputs.append(result)
        print("  implementation returned:", show(result).replace("\\n", "\\n  "))
        for k, (a, b) in enumerate(zip(args, before)):
            if b is not None and (a.shape != b.shape or not np.array_equal(a, b, equal_nan=True)):
                print(f"  DISAGREE: argument {{k + 1}} was MUTATED by the call")
                problems += 1
        expected = call.get("expected")
        if expected is None:
            note = call.get("expected_note", "")
            print("  (no reference output to compare with" + (f": {{note}})" if note else ")"))
            continue
        want = decode(expected, [None] * len(CALLS))
        if (call["component"] in SIGN_FREE and call["method"] in ("transform", "fit_transform")
                and isinstance(result, np.ndarray) and isinstance(want, np.ndarray)
                and result.shape == want.shape and result.ndim == 2):
            flip = np.where(np.sum(result * want, axis=0) < 0, -1.0, 1.0)
            if np.any(flip < 0):
                print(f"  (axes {{np.flatnonzero(flip < 0).tolist()}} flipped in sign to match "
                      "the reference: the sign of a principal axis is free)")
            result = result * flip
        problems += compare(result, want, "output", call["component"] in SEEDED)
    if problems:
        print(f"\\nREPRODUCED: {{problems}} disagreement(s) with the reference shown above.")
        return 1
    print("\\nNo disagreement with the reference at these inputs; the property's own check "
          "is the message at the top of this script.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def repro_script(report: dict, failure: dict) -> str:
    """The standalone script for one failure (see the module docstring); for a statistical
    invariant, the script that replays its test (:func:`statistical_repro_script`)."""
    if is_statistical(failure):
        return statistical_repro_script(report, failure)
    example = failure.get("example")
    if not example or not example.get("calls"):
        reason = (example or {}).get("reason", "the property made no call of the implementation")
        raise LookupError(f"{failure['id']}: no counterexample was stored ({reason})")
    impl = report["implementation"]
    conventions = dict(impl.get("conventions") or {})
    loader = script_loader(impl)
    spec = _script_spec(impl)  # for a file, the absolute path the run loaded
    message = "\n".join("    " + line.rstrip("\\") for line in failure["message"].splitlines())
    seeded = sorted(c.name for c in COMPONENTS.values() if SEEDED in c.conventions)
    return _SCRIPT.format(
        impl_name=impl["name"], spec=spec, failure_id=failure["id"],
        status=failure["status"], description=_safe_doc(failure.get("description", "")),
        seed=report["run"].get("seed"), nncheck_version=report["nncheck_version"],
        schema_version=report["schema_version"], message=_safe_doc(message) or "    -",
        conventions=conventions, loader=loader, seeded=seeded,
        needs="numpy and the implementation only" if loader == "file" else
              "numpy, nncheck's adapters and the implementation; not Hypothesis",
        calls_json=json.dumps(example["calls"], indent=1).replace('"""', '\\"\\"\\"'),
    )


def script_loader(impl: dict) -> str:
    """How a repro script loads the implementation block ``impl`` of report.json: ``"file"``
    for a native-contract file (imported as is: numpy only), ``"adapter"`` for anything an
    adapter mapped (a course-style file, a declared or detected convention, a library),
    rebuilt by nncheck's adapters with the run's conventions."""
    source = impl.get("source", "")
    plain = source.startswith("file ") and source.endswith(".py")
    return "file" if plain and not impl.get("conventions") else "adapter"


def replay_comment(report: dict) -> str:
    """The comment above ``nncheck repro ...`` in the renderers' re-run lines."""
    if script_loader(report["implementation"]) == "file":
        return "# replay the shrunk counterexample with numpy only (no Hypothesis):"
    return ("# replay the shrunk counterexample without Hypothesis (nncheck's adapter loads "
            "the implementation with the run's conventions):")


def is_statistical(verdict: dict) -> bool:
    """Whether ``verdict`` is of a statistical invariant (one with a stated false-alarm
    rate): it judges many random draws at once, so no single call shows its failure."""
    return verdict.get("false_alarm_rate") is not None


def replay_lines(report: dict, failure: dict) -> list[str]:
    """The shell lines under "Re-run" in report.md and report.html: the repro script (when
    the failure has one), then the property with the run's seed."""
    import shlex

    lines = []
    if is_statistical(failure):
        lines.append("# replay this statistical test (the property alone, the run's seed, no "
                     "example database); exits 1 if it fails again:")
    elif (failure.get("example") or {}).get("calls"):
        lines.append(replay_comment(report))
    if lines:
        lines += [f"nncheck repro report.json {shlex.quote(failure['id'])} -o repro.py",
                  "python repro.py"]
    return [*lines, "# re-run the property with the run's seed:",
            rerun_command(report, failure["component"])]


def statistical_repro_script(report: dict, failure: dict) -> str:
    """A short script that replays one statistical invariant's test and exits 1 if it fails.

    Its verdict rests on many draws, so there is no counterexample to replay call by call;
    the script runs the property itself through ``nncheck check``, alone (``-k``), with the
    run's implementation, conventions, profile and seed and no example database: the seed
    decides every draw, so it meets the same sample the run did.
    """
    impl = report["implementation"]
    words = rerun_arguments(report, failure["component"], spec=_script_spec(impl))
    test = "test_" + failure["invariant"].split("[")[0]
    words += ["--no-database", "-n", "0", "--", "-k", test]
    message = "\n".join("    " + line.rstrip("\\") for line in failure["message"].splitlines())
    return _STATISTICAL_SCRIPT.format(
        failure_id=failure["id"], impl_name=impl["name"], status=failure["status"],
        description=_safe_doc(failure.get("description", "")),
        rate=f"{failure['false_alarm_rate']:.1e}", message=_safe_doc(message) or "    -",
        nncheck_version=report["nncheck_version"], arguments=words,
        component=failure["component"], invariant=failure["invariant"])


_STATISTICAL_SCRIPT = '''#!/usr/bin/env python3
"""nncheck repro: {failure_id} ({status}) of {impl_name}, a statistical invariant.

{description}

It rejects a correct implementation in one run with probability at most {rate}. The run
reported:

{message}

A statistical invariant judges a sample of many random draws at once, so no single call
shows its failure. This script replays the test itself: the property alone, through
`nncheck check` (nncheck {nncheck_version} wrote it; it needs nncheck and the
implementation), with the run's implementation, conventions, profile and seed and no
example database, so it draws the same sample. It prints the verdict and exits 1 if the
invariant fails again, 0 if it passes.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ARGUMENTS = {arguments!r}
COMPONENT, INVARIANT = {component!r}, {invariant!r}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="nncheck-repro-") as out:
        done = subprocess.run([sys.executable, "-m", "nncheck.cli", *ARGUMENTS[:1],
                               "--report", out, *ARGUMENTS[1:]],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        path = Path(out) / "report.json"
        if not path.exists():
            print(done.stderr.strip() or "nncheck check wrote no report", file=sys.stderr)
            return 2
        report = json.loads(path.read_text(encoding="utf-8"))
    found = [v for c in report["components"] for v in c["invariants"]
             if c["name"] == COMPONENT and v["invariant"] == INVARIANT]
    if not found:
        print(f"{{COMPONENT}}::{{INVARIANT}} did not run (is it still in this nncheck?)",
              file=sys.stderr)
        return 2
    verdict = found[0]
    print(f"{{COMPONENT}}::{{INVARIANT}}: {{verdict['status']}}")
    if verdict["message"]:
        print(verdict["message"])
    if verdict["status"] in ("failed", "error"):
        print("\\nREPRODUCED: the statistical test fails again with the run's seed.")
        return 1
    print("\\nNot reproduced: with the run's seed the invariant holds here.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def _script_spec(impl: dict) -> str:
    """The spec a script loads: the absolute path the run loaded for a file, else the spec."""
    conventions = impl.get("conventions") or {}
    path = re.match(r"file (.+?\.py)(?: \(|$)", impl.get("source", ""))
    if path and "path" not in conventions:
        return path.group(1)
    return str(impl["spec"])


def rerun_arguments(report: dict, component: str, *, spec: str | None = None) -> list[str]:
    """The arguments of ``nncheck`` that re-run one component's properties as the run
    checked them (see :func:`rerun_command`); ``spec`` replaces the report's."""
    impl, run = report["implementation"], report.get("run", {})
    words = ["check", "--impl", spec or str(impl["spec"])]
    for key, value in (impl.get("conventions") or {}).items():
        words += ["--convention", f"{key}={value}"]
    words += ["--component", component]
    if run.get("profile"):
        words += ["--profile", str(run["profile"])]
    if run.get("seed") is not None:
        words += ["--seed", str(run["seed"])]
    return words


def rerun_command(report: dict, component: str) -> str:
    """The shell line that re-runs one component's properties as the run checked them.

    The same implementation spec, every convention the run used (declared with
    ``--convention`` or resolved by the adapter, e.g. a detected ``linear_reg``: report.json
    ``implementation.conventions``), the profile and the seed; shell-quoted. Both renderers
    (report.md, report.html) use it.
    """
    import shlex

    return shlex.join(["nncheck", *rerun_arguments(report, component)])


def _safe_doc(text: str) -> str:
    """Text that cannot close the script's raw docstring."""
    return text.replace('"""', "\'\'\'")
