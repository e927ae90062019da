"""The documentation: it builds without warnings, its generated pages cover the model, and
the code in the README and the tutorials runs."""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import follicle as fl

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: Pages whose ```python blocks are run, each page's blocks in order in one namespace, and
#: the optional modules each needs. The Dask page starts a LocalCluster of two worker
#: processes once (about 15 s); the pages' code runs in this process, whose __main__ is
#: pytest's, so the workers can start without an ``if __name__ == "__main__"`` guard.
RUNNABLE = {
    "README.md": ["pandas"],
    "docs/getting-started.md": [],
    "docs/tutorials/day.md": ["xarray", "scipy"],
    "docs/tutorials/simulate.md": [],
    "docs/tutorials/dose.md": [],
    "docs/tutorials/sweep.md": ["pandas"],
    "docs/tutorials/fit.md": [],
    "docs/tutorials/sbml.md": ["libsbml", "roadrunner"],
    "docs/tutorials/sbml-import.md": ["libsbml", "roadrunner"],
    "docs/tutorials/dask.md": ["dask.distributed"],
    "docs/zoo.md": [],
}


def _extension():
    spec = importlib.util.spec_from_file_location(
        "follicle_docs", DOCS / "_ext" / "follicle_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _table_names(markdown: str) -> list[str]:
    return re.findall(r"^\| `([^`]+)` \|", markdown, flags=re.M)


def test_docs_build_with_warnings_as_errors(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "html" / "model.html").read_text(encoding="utf-8")
    assert "tau_anagen" in page and "saturating removal" in page
    # The equations render offline: MathJax is a local copy, and no page of the site loads
    # a script from the network. Code blocks have a copy button.
    assert "_static/mathjax/tex-chtml.js" in page
    assert (tmp_path / "html" / "_static" / "mathjax" / "tex-chtml.js").is_file()
    for built in (tmp_path / "html").rglob("*.html"):
        scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", built.read_text(encoding="utf-8"))
        external = [s for s in scripts if re.match(r"(https?:)?//", s)]
        assert not external, f"{built.name} loads {external}"
    assert "copybutton" in page


def test_parameter_table_lists_every_parameter_of_the_model_once():
    model = fl.models.coupled()
    table = fl.models.parameters.table()
    names = _table_names(_extension().parameters_md(table, model))
    assert sorted(names) == sorted(table) and len(names) == len(set(names))
    assert set(model.parameter_names) <= set(names)
    row = next(
        line
        for line in _extension().parameters_md(table, model).splitlines()
        if line.startswith("| `tau_anagen` |")
    )
    p = table["tau_anagen"]
    assert f"| {p.value:g} | day | [{p.bounds[0]:g}, {p.bounds[1]:g}] | phase |" in row
    # The table holds a short provenance (the full text on hover), the full text follows.
    shown = row.split(" | ")[5]
    assert f'title="{html.escape(p.provenance)}"' in shown
    assert len(re.sub(r"<[^>]+>", "", shown)) <= 62
    full = _extension()._cell(p.provenance)
    assert f"- `tau_anagen`: {full}" in _extension().parameters_md(table, model)


def test_equations_cover_every_rate_term_and_observable():
    model = fl.models.coupled()
    text = _extension().equations_md(model)
    rows = [line for line in text.splitlines() if line.startswith("| {math}")]
    # A transit chain's steps are one row that says how many terms it stands for.
    chained = [int(n) for n in re.findall(r"\((\d+) terms", text)]
    assert len(rows) - len(chained) + sum(chained) == len(model.terms)
    assert len(rows) < 70, "the chains' 136 steps are not listed one by one"
    assert "| {math}`R_{i+1}` | {math}`\\frac{30 R_{i}}{\\tau_{refractory}}` |" in text
    assert set(_table_names(text)) == set(model.observable_names)
    for module in model.modules:
        assert f"### Compartment `{module.name}`" in text


def test_findings_page_names_each_finding_its_test_and_existing_figures():
    text = _extension().findings_md(ROOT)
    for i in range(1, 10):
        assert f"## F{i}\n" in text
    for test in re.findall(r"`tests/findings/(test_\w+\.py)`", text):
        assert (ROOT / "tests" / "findings" / test).exists()
    figures = re.findall(r"\]\(\.\./figures/(\w+\.png)\)", text)
    assert "untreated_cycle.png" in figures and "dose_timing.png" in figures
    for name in figures:
        assert (ROOT / "figures" / name).exists(), name


def _python_blocks(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)


def test_every_tutorial_is_run():
    tutorials = {str(p.relative_to(ROOT)) for p in (DOCS / "tutorials").glob("*.md")}
    assert tutorials <= set(RUNNABLE)


@pytest.mark.parametrize("page", RUNNABLE)
def test_code_in_the_page_runs(page, tmp_path, monkeypatch):
    for module in RUNNABLE[page]:
        pytest.importorskip(module)
    blocks = _python_blocks(ROOT / page)
    assert blocks, f"{page} has no python code"
    monkeypatch.chdir(tmp_path)  # pages may write files
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, page, "exec"), namespace)


def test_readme_example_prints_what_it_says(capsys):
    block = _python_blocks(ROOT / "README.md")[0]
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    claimed = re.search(r"# (\d+\.\d); untreated: (\d+\.\d)", block)
    assert f"anagen starts on day {claimed.group(1)}" in out
    run = fl.simulate(fl.models.coupled(), days=80)
    assert f"{fl.models.readouts.first_anagen_onset(run):.1f}" == claimed.group(2)
