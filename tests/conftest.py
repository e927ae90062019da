"""Shared fixtures: the small test models of :mod:`_models`, built fresh for each test."""

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
