"""Sphinx extension: pages generated from the code at build time, so they cannot drift.

At ``builder-inited`` it writes into ``docs/_generated/`` (not under version control):

- ``equations.md``: every rate term of the coupled model, per compartment and state, as
  LaTeX from its sympy expression, with the term's label; and every observable.
- ``parameters.md``: the parameter table from ``models/parameters.toml`` (value, unit,
  range, provenance, description, the compartment that declares it).
- ``findings.md``: each finding's test module (its docstring states the claim) and the
  figures whose scripts declare it in ``FINDINGS``.
- ``cli.md``: the ``--help`` of every ``follicle`` command.

The pages that include them are ordinary Markdown in ``docs/``.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import sympy as sp

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "_generated"
FINDING_IDS = [f"F{i}" for i in range(1, 10)]


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return re.sub(r"([|*_`\[\]<>\\])", r"\\\1", str(text)).replace("\n", " ")


def _math(expr) -> str:
    return "{math}`" + sp.latex(expr).replace("`", "") + "`"


_STAGE = re.compile(r"\b([A-Za-z]+)(\d+)\b")


def _chain_groups(terms) -> list[list]:
    """Rate terms that differ only in the numbers of transit-chain stages
    (``R1 -> R2 (out)``, ``R2 -> R3 (out)``, ...) grouped, in order of first appearance;
    other terms alone."""
    groups: dict = {}
    for n, term in enumerate(terms):
        key = (re.sub(r"\d+", "#", term.state), re.sub(r"\d+", "#", term.label))
        groups.setdefault(key if _STAGE.search(term.label) else n, []).append(term)
    return list(groups.values())


def _indexed(term, varying) -> tuple[str, str, str]:
    """State, expression (LaTeX) and label of ``term`` with the stages at the ``varying``
    positions of its label written as ``P_{i}``, ``P_{i+1}``..."""
    stages = _STAGE.findall(term.label)
    base = int(stages[varying[0]][1])
    names = {}
    for j in varying:
        prefix, number = stages[j]
        offset = int(number) - base
        names[f"{prefix}{number}"] = f"{prefix}_{{i{offset:+d}}}" if offset else f"{prefix}_{{i}}"
    state = names.get(term.state, term.state)
    expr = term.expr.subs(
        {s: sp.Symbol(names[s.name]) for s in term.expr.free_symbols if s.name in names}
    )
    label = _STAGE.sub(
        lambda m: names.get(m.group(0), m.group(0)).replace("{", "").replace("}", ""), term.label
    )
    return state, sp.latex(expr), label


def _rate_rows(terms) -> list[str]:
    """One table row per rate term, and one per run of chain terms alike but for the
    stage index ``i`` (with the range of ``i`` and the number of terms it stands for)."""
    rows = []
    for group in _chain_groups(terms):
        if len(group) == 1:
            (term,) = group
            rows.append(
                f"| {_math(sp.Symbol(term.state))} | {_math(term.expr)} | {_cell(term.label)} |"
            )
            continue
        numbers = [[int(n) for _, n in _STAGE.findall(t.label)] for t in group]
        varying = [j for j in range(len(numbers[0])) if len({n[j] for n in numbers}) > 1]
        first, last = numbers[0][varying[0]], numbers[-1][varying[0]]
        state, latex, label = _indexed(group[0], varying)
        alike = all(_indexed(t, varying)[1] == latex for t in group)
        note = "" if alike else f"; coefficients shown for i = {first}"
        rows.append(
            f"| {{math}}`{sp.latex(sp.Symbol(state))}` | {{math}}`{latex}` | "
            f"{_cell(label)}, i = {first}…{last} ({len(group)} terms{note}) |"
        )
    return rows


def equations_md(model) -> str:
    """Rate terms and observables of ``model`` by compartment, as Markdown with LaTeX.

    The terms of a transit chain (the same step from stage ``i`` to ``i + 1``) are one row
    with the index ``i`` and its range.
    """
    lines = []
    for module in model.modules:
        own = [s.name for s in module.states]
        terms = [t for t in model.terms if t.state in own]
        lines += [f"### Compartment `{module.name}`", ""]
        if own:
            lines += ["| d/dt of | term | what it is |", "| --- | --- | --- |"]
            lines += _rate_rows(terms)
            lines.append("")
        if module.observables:
            lines += ["| observable | expression | unit | meaning |", "| --- | --- | --- | --- |"]
            for obs in module.observables:
                lines.append(
                    f"| `{obs.name}` | {_math(obs.expr)} | "
                    f"{_cell(model.unit(obs.name))} | {_cell(obs.description)} |"
                )
            lines.append("")
    return "\n".join(lines)


def short_provenance(text: str) -> str:
    """The kind of a provenance and its first clause, at most about 60 characters:
    ``"assumed: sets how fast ..."`` -> ``"assumed: sets how fast ..."`` cut at ``;``.

    >>> short_provenance("assumed: a guess; more words about it")
    'assumed: a guess …'
    """
    first = re.split(r"[;(]", text, maxsplit=1)[0].strip()
    if len(first) > 60:
        first = first[:60].rsplit(" ", 1)[0]
    return first if first == text.strip() else f"{first} …"


def parameters_md(table, model) -> str:
    """The parameter table as Markdown; ``table`` maps names to Parameters.

    The table shows each provenance's first clause (the full text on hover); the full
    texts follow the table as a list.
    """
    owner = {p.name: m.name for m in model.modules for p in m.parameters}
    lines = [
        "| name | value | unit | range | compartment | provenance | description |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in table.items():
        low, high = p.bounds
        short = (
            f'<span title="{html.escape(p.provenance)}">'
            f"{html.escape(short_provenance(p.provenance))}</span>"
        )
        lines.append(
            f"| `{name}` | {p.value:g} | {_cell(p.unit)} | [{low:g}, {high:g}] | "
            f"{_cell(owner.get(name, 'not used'))} | {short.replace('|', '&#124;')} | "
            f"{_cell(p.description)} |"
        )
    lines += ["", "Full provenance of each parameter:", ""]
    lines += [f"- `{name}`: {_cell(p.provenance)}" for name, p in table.items()]
    return "\n".join(lines) + "\n"


def _declared_findings(script: Path) -> tuple[str, ...]:
    for node in ast.parse(script.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "FINDINGS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    return ()


def findings_md(root: Path = ROOT) -> str:
    """Each finding: the claim and test module, and its figures (paths relative to docs/)."""
    tests = {
        p.name.split("_")[1].upper(): p
        for p in sorted((root / "tests" / "findings").glob("test_f*.py"))
    }
    figures: dict[str, list[str]] = {}
    for script in sorted((root / "figures").glob("fig_*.py")):
        for finding in _declared_findings(script):
            figures.setdefault(finding, []).append(script.stem.removeprefix("fig_"))
    lines = []
    for finding in FINDING_IDS:
        test = tests.get(finding)
        claim = ast.get_docstring(ast.parse(test.read_text(encoding="utf-8"))) if test else None
        lines += [f"## {finding}", ""]
        if test:
            lines += [
                " ".join(claim.split()),
                "",
                f"Shown by the tests in `tests/findings/{test.name}`.",
                "",
            ]
        else:
            lines += ["No test shows this finding yet.", ""]
        for name in figures.get(finding, []):
            lines += [
                f"![{name}](../figures/{name}.png)",
                "",
                f"*Figure `figures/{name}.png`, made by `figures/fig_{name}.py`.*",
                "",
            ]
        if finding not in figures:
            lines += ["No figure yet.", ""]
    return "\n".join(lines)


def cli_md() -> str:
    """The help of the ``follicle`` command and of each subcommand."""
    from follicle.models.cli import parser

    top = parser()
    lines = ["```text", top.format_help().rstrip(), "```", ""]
    subparsers = next(a for a in top._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():
        lines += [f"## `follicle {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


def generate(out: Path = OUT) -> list[Path]:
    """Write every generated page into ``out``; only files whose text changed are touched."""
    import follicle as fl

    model = fl.models.coupled()
    pages = {
        "equations.md": equations_md(model),
        "parameters.md": parameters_md(fl.models.parameters.table(), model),
        "findings.md": findings_md(),
        "cli.md": cli_md(),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages.items():
        path = out / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _on_builder_inited(app):
    generate()


def setup(app):
    app.connect("builder-inited", _on_builder_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
