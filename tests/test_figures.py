"""Every figure script runs and writes a PNG and an SVG; a rerun gives the same bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIGURES = Path(__file__).resolve().parents[1] / "figures"
SCRIPTS = sorted(FIGURES.glob("fig_*.py"))


def make_all_fast(out: Path) -> dict[str, bytes]:
    done = subprocess.run(
        [sys.executable, str(FIGURES / "make_all.py"), "--fast", "--out", str(out)],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    return [make_all_fast(tmp_path_factory.mktemp(f"run{i}")) for i in (1, 2)]


def test_every_script_writes_a_png_and_an_svg(two_runs):
    files = two_runs[0]
    assert len(files) == 2 * len(SCRIPTS)
    for name, data in files.items():
        if name.endswith(".png"):
            assert data.startswith(b"\x89PNG"), name
            assert name.replace(".png", ".svg") in files
        else:
            assert name.endswith(".svg") and b"<svg" in data[:2000], name


def test_rerun_is_byte_identical(two_runs):
    first, second = two_runs
    assert first.keys() == second.keys()
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, f"figures differ between two runs: {differ}"


def test_committed_figures_are_those_the_scripts_make(two_runs):
    committed = {p.name for p in FIGURES.iterdir() if p.suffix in (".png", ".svg")}
    assert committed == set(two_runs[0])
