"""What a property test needs to be part of the conformance suite.

Each property in ``properties/`` is a pytest test decorated with :func:`invariant`, which
names the component it checks (recorded per (component, invariant) in the report) and
applies the Hypothesis settings of the active profile. The invariant's name is the test
name without ``test_``; its description is the first line of the docstring.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

# Hypothesis examples per property in each profile. Hypothesis itself is imported lazily:
# importing it before pytest starts would defeat pytest's assertion rewriting of it.
PROFILES: dict[str, int] = {"dev": 10, "ci": 40, "thorough": 400}
DEFAULT_PROFILE = "ci"

_active = {"profile": DEFAULT_PROFILE, "database": True}


def set_profile(name: str) -> None:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose from {', '.join(PROFILES)}")
    _active["profile"] = name


def use_example_database(enabled: bool | str | os.PathLike = True) -> None:
    """Whether Hypothesis replays failures saved by earlier runs (its example database).

    On for people (a known failure is tried first, so it is found again at once); off
    where a run must depend on nothing but its seed, as in nncheck's own tests of broken
    implementations. A path keeps the database in that folder instead of Hypothesis'
    default ``.hypothesis/examples`` under the folder the run started in.
    """
    _active["database"] = enabled


def _database_setting() -> dict:
    database = _active["database"]
    if database is True:
        return {}
    if not database:
        return {"database": None}
    from hypothesis.database import DirectoryBasedExampleDatabase

    return {"database": DirectoryBasedExampleDatabase(os.fspath(database))}


def active_profile() -> str:
    return _active["profile"]


def profile_settings(name: str | None = None):
    """The Hypothesis settings of a profile (default: the active one)."""
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        **_database_setting(),
        max_examples=PROFILES[name or active_profile()],
        # No "explain" phase: it re-runs failures under tracing and costs seconds per
        # failing property; the shrunk counterexample is what the report needs.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        deadline=None,  # wall-clock deadlines make a suite flaky on a loaded machine
        print_blob=True,  # every failure carries its @reproduce_failure blob
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def freeze_search_constants() -> None:
    """Make a run's search depend on its seed alone, not on what the process has imported.

    Hypothesis mixes literals found in "local" modules (anything imported from outside
    site-packages and the standard library: nncheck itself when installed in editable
    mode, the user's files, what an earlier run in the same process loaded) into the
    values it draws. The same ``--seed`` then explores differently from one checkout,
    install or process history to the next. The suite keeps that pool empty. This uses
    a private hook of Hypothesis; should it move, only this determinism is lost.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without constant mining
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty
        cache = getattr(providers, "CONSTANTS_CACHE", None)
        if cache is not None and hasattr(cache, "cache"):
            cache.cache.clear()


def invariant(*components: str, false_alarm_rate: float | None = None, **overrides) -> Callable:
    """Mark a property as checking ``components`` (the first is where it is reported).

    ``false_alarm_rate`` states the per-run probability that a statistical property
    rejects a correct implementation; it is shown in the report. ``overrides`` are
    Hypothesis settings for this property only (e.g. ``max_examples=...`` for an
    expensive one); they apply on top of the active profile.
    """
    if not components:
        raise TypeError("invariant() needs at least one component name")
    from nncheck.contract import component

    for name in components:
        component(name)

    def decorate(fn: Callable) -> Callable:
        if hasattr(fn, "hypothesis"):
            from hypothesis import settings

            fn = settings(profile_settings(), **overrides)(fn)
            fn._nncheck_settings_overrides = overrides
        return pytest.mark.nncheck(*components, false_alarm_rate=false_alarm_rate)(fn)

    return decorate


def apply_active_settings(test: Callable) -> None:
    """Re-apply the active profile and database to an :func:`invariant` property.

    A property module is imported once per process, so the settings applied when it was
    decorated are those of the first run; a later run in the same process (``nncheck.api.
    check`` called twice) with another profile or database calls this for each property.
    """
    overrides = getattr(test, "_nncheck_settings_overrides", None)
    if overrides is not None:
        from hypothesis import settings

        test._hypothesis_internal_use_settings = settings(profile_settings(), **overrides)
