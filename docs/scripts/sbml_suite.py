"""Run the SBML Test Suite's semantic cases on the engine and tabulate the outcome by tag.

Each case is loaded with ``follicle.sbml.load``, simulated with ``follicle.simulate``
(LSODA) and scored as the suite scores (``|simulated - expected| <= absolute + relative *
|expected|`` for every variable at every output time). A case is

- **pass**: every value within the tolerance;
- **unsupported**: the loader or the runner refused it with a named ``SBMLImportError``
  (an algebraic rule, a fast reaction, ...; the reason is kept);
- **wrong**: a value outside the tolerance, a solver failure, any other exception, or more
  than ``--timeout`` seconds.

Run from the repository root::

    .venv/bin/python docs/scripts/sbml_suite.py --write

``--write`` replaces the table between the markers in ``docs/sbml.md``; ``--json`` keeps
every case's outcome. The suite's folder is ``--suite`` (default: ``$FOLLICLE_SBML_SUITE``
or the peers' copy).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PEERS = Path(__file__).resolve().parents[3] / "shared/peers"  # ../shared beside the repository
DEFAULT_SUITE = str(PEERS / "sbml-test-suite/cases/semantic")
DOC = Path(__file__).resolve().parents[1] / "sbml.md"
START, END = "<!-- sbml-suite:start -->", "<!-- sbml-suite:end -->"
#: Refusal messages grouped by the feature they name (first match wins).
FEATURES = [
    (r"delay\(\)", "delay()"),
    (r"boolean|is a number, not", "booleans as numbers, numbers as booleans"),
    (r"makes random", "events of equal priority in an order that matters"),
    (r"equality", "event triggers with an equality"),
    (r"event", "other events"),
    (r"requires the SBML package 'comp'", "comp package"),
    (r"cannot flatten the comp model", "comp: external model files missing"),
    (r"requires the SBML package", "other required packages"),
    (r"FluxBalance", "flux-balance tests"),
    (r"fast", "fast reactions"),
    (r"rateOf", "rateOf"),
    (r"algebraic rule", "algebraic rules"),
    (r"not a valid model|not finite", "infinite or NaN values"),
    (r"constraint", "constraints"),
    (r"factorial", "factorial of a variable"),
    (r"starts at time", "start time not 0"),
    (r"cycle", "cyclic definitions"),
    (r"has no value", "variables without a value"),
    (r"reports .* which is not", "outputs that are not variables"),
]


def feature(reason: str) -> str:
    return next(
        (label for pattern, label in FEATURES if re.search(pattern, reason)),
        "other: " + reason[:60],
    )


def _timeout(signum, frame):
    raise TimeoutError


def run_roadrunner(folder):
    """libRoadRunner on one case, as the suite's own wrappers run it: the settings' output
    times and variables (``[S]`` for a concentration, ``S`` for an amount), CVODE at
    relative tolerance 1e-10 and absolute tolerance 1e-14 (tighter than the defaults, the
    peer's best correct setup here). Returns ``(columns, values)`` like
    :func:`follicle.sbml.testsuite.run_case`."""
    import numpy as np
    import roadrunner

    from follicle.sbml import testsuite

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)
    case = testsuite.read_case(folder)
    rr = roadrunner.RoadRunner(str(case.model_path))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    species = set(rr.model.getFloatingSpeciesIds()) | set(rr.model.getBoundarySpeciesIds())
    selections = ["time"] + [
        f"[{v}]" if v in species and v in case.concentration else v for v in case.variables
    ]
    values = rr.simulate(case.start, case.start + case.duration, case.steps + 1, selections)
    return ["time", *case.variables], np.asarray(values, dtype=float)


def run_one(args):
    """Outcome of one case: (number, status, reason, tags, seconds), by follicle or (with
    ``tool="libroadrunner"``) by libRoadRunner, scored the same way; a case libRoadRunner
    raises on counts as unsupported."""
    folder, limit, tool = args
    from follicle.errors import SBMLImportError
    from follicle.sbml import testsuite

    start = time.perf_counter()
    tags: tuple[str, ...] = ()
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(limit)
    try:
        tags = testsuite.read_case(folder).tags
        if tool == "libroadrunner":
            try:
                columns, values = run_roadrunner(folder)
            except (RuntimeError, ValueError) as exc:  # libRoadRunner refuses or fails
                raise SBMLImportError(f"libRoadRunner: {exc}") from None
        else:
            columns, values = testsuite.run_case(folder)
        result = testsuite.score(folder, columns, values)
        status, reason = ("pass", "") if result.passed else ("wrong", result.worst)
    except SBMLImportError as exc:
        status, reason = "unsupported", str(exc)
    except TimeoutError:
        status, reason = "wrong", f"no result within {limit} s"
    except Exception as exc:  # any other failure is a wrong answer, with its reason
        status, reason = "wrong", f"{type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
    return Path(folder).name, status, reason, tags, time.perf_counter() - start


def table(results, peer=None) -> str:
    """The markdown table of follicle's ``results`` by tag, with libRoadRunner's ``peer``
    results (the same cases) beside them when given."""
    counts = collections.Counter(status for _, status, *_ in results)
    by_tag: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    peer_by_tag: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    reasons: collections.Counter = collections.Counter()
    for _, status, reason, tags, _ in results:
        for tag in tags:
            by_tag[tag][status] += 1
        if status == "unsupported":
            reasons[feature(reason)] += 1
    for _, status, _, tags, _ in peer or ():
        for tag in tags:
            peer_by_tag[tag][status] += 1
    lines = [
        f"{len(results)} cases run: **{counts['pass']} pass**, {counts['unsupported']} "
        f"unsupported (refused by name), **{counts['wrong']} wrong**.",
    ]
    if peer:
        pc = collections.Counter(status for _, status, *_ in peer)
        lines.append(
            f"libRoadRunner on the same cases, scored the same way: {pc['pass']} pass, "
            f"{pc['unsupported']} refused (it raised), {pc['wrong']} wrong."
        )
    head = "| tag | cases | pass | unsupported | wrong |"
    rule = "| --- | ---: | ---: | ---: | ---: |"
    if peer:
        head += " libRoadRunner pass | refused | wrong |"
        rule += " ---: | ---: | ---: |"
    lines += ["", head, rule]
    for tag in sorted(by_tag, key=lambda k: (-sum(by_tag[k].values()), k)):
        c, p = by_tag[tag], peer_by_tag[tag]
        row = f"| {tag} | {sum(c.values())} | {c['pass']} | {c['unsupported']} | {c['wrong']} |"
        if peer:
            row += f" {p['pass']} | {p['unsupported']} | {p['wrong']} |"
        lines.append(row)
    lines += [
        "",
        "Why cases are unsupported (a case counts once, under the first refusal):",
        "",
        "| refused feature | cases |",
        "| --- | ---: |",
    ]
    lines += [f"| {label} | {n} |" for label, n in reasons.most_common()]
    wrong = [(n, reason) for n, status, reason, *_ in results if status == "wrong"]
    if wrong:
        lines += ["", "Wrong answers:", ""]
        lines += [f"- {n}: {reason}" for n, reason in wrong]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--suite", default=os.environ.get("FOLLICLE_SBML_SUITE", DEFAULT_SUITE))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per case")
    parser.add_argument("--write", action="store_true", help="update docs/sbml.md")
    parser.add_argument("--json", type=Path, help="write every case's outcome here")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run libRoadRunner on every case (the [peers] extra)",
    )
    args = parser.parse_args(argv)
    folders = sorted(p for p in Path(args.suite).iterdir() if p.is_dir())
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(
            pool.map(run_one, [(f, args.timeout, "follicle") for f in folders], chunksize=8)
        )
    elapsed = time.perf_counter() - start
    peer = None
    if args.peer:
        import roadrunner

        with ProcessPoolExecutor(args.jobs) as pool:
            peer = list(
                pool.map(
                    run_one, [(f, args.timeout, "libroadrunner") for f in folders], chunksize=8
                )
            )
        wrong = [(n, r) for n, status, r, *_ in peer if status == "wrong"]
        print(f"libRoadRunner {roadrunner.__version__} wrong answers:", file=sys.stderr)
        for n, r in wrong:
            print(f"  {n}: {r}", file=sys.stderr)
    text = table(results, peer) + (
        f"\n\nThe follicle run took {elapsed / 60:.1f} min on {args.jobs} processes."
    )
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    dict(case=n, status=s, reason=r, tags=list(t), seconds=round(sec, 3))
                    for n, s, r, t, sec in results
                ],
                indent=1,
            )
        )
    if args.write:
        doc = DOC.read_text()
        if START not in doc or END not in doc:
            sys.exit(f"{DOC} has no {START} ... {END} markers")
        head, rest = doc.split(START, 1)
        DOC.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])


if __name__ == "__main__":
    main()
