"""The ``>>>`` examples in the docstrings of the engine, the biology and the calibration run
and print what they show.

The modules are imported by their installed names (``follicle.models.readouts``, not
``models.readouts``), which is why this is a test rather than ``--doctest-modules``: pytest
would import ``models/`` and ``fitting/`` as top-level packages.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest


def _modules() -> list[str]:
    """Every module of the three packages, by installed name."""
    names = set()
    for package in ("follicle", "follicle.models", "follicle.fitting"):
        path = importlib.import_module(package).__path__
        names |= {package, *(i.name for i in pkgutil.walk_packages(path, prefix=f"{package}."))}
    return sorted(names - {"follicle.__main__"})  # importing it runs the command line


def _with_examples(name: str) -> bool:
    finder = doctest.DocTestFinder()
    return any(test.examples for test in finder.find(importlib.import_module(name)))


WITH_EXAMPLES = [n for n in _modules() if _with_examples(n)]


def test_examples_are_found_in_all_three_packages():
    assert {"follicle", "follicle.models.readouts", "follicle.fitting.datasets"} <= set(
        WITH_EXAMPLES
    )


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    failed, tried = doctest.testmod(
        importlib.import_module(name),
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=True,
        verbose=False,
    )
    assert tried and not failed, f"{failed} of {tried} examples in {name} failed (see stdout)"
