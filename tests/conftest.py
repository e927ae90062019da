"""Shared fixtures: the small test models of :mod:`_models`, built fresh for each test.

Also prints the robustness fractions of ``tests/findings/test_robustness.py`` at the end
of the session (the test stores them in pytest's cache, which works under xdist too).
"""

from __future__ import annotations

import pytest
from _models import (
    blow_up,
    chain,
    decay,
    erlang_chain,
    hill_feedback,
    logistic,
    michaelis_menten,
    one_compartment,
    twenty_state,
)

ROBUSTNESS_KEY = "follicle/robustness"


def pytest_sessionstart(session):
    # The controller, not an xdist worker; and only with the cache (not -p no:cacheprovider).
    if not hasattr(session.config, "workerinput") and hasattr(session.config, "cache"):
        session.config.cache.set(ROBUSTNESS_KEY, None)


def pytest_terminal_summary(terminalreporter, config):
    fractions = config.cache.get(ROBUSTNESS_KEY, None) if hasattr(config, "cache") else None
    if fractions:
        terminalreporter.section("robustness: fraction of +-30% parameter sets")
        terminalreporter.line("  ".join(f"{k} {v:.2f}" for k, v in fractions.items()))


@pytest.fixture
def decay_model():
    return decay()


@pytest.fixture
def chain_model():
    return chain([1.0, 2.0, 0.5])


@pytest.fixture
def erlang_model():
    return erlang_chain(5)


@pytest.fixture
def logistic_model():
    return logistic()


@pytest.fixture
def pk_model():
    return one_compartment()


@pytest.fixture
def mm_model():
    return michaelis_menten()


@pytest.fixture
def hill_model():
    return hill_feedback()


@pytest.fixture
def twenty_state_model():
    return twenty_state()


@pytest.fixture
def blow_up_model():
    return blow_up()
