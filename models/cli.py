"""The ``follicle`` command: list, run, sweep and export the model's scenarios.

::

    follicle scenarios                                  # the named experiments
    follicle interventions                              # drugs and switches, with units
    follicle run abt737_after_induction --out results   # CSV + PNG of one scenario
    follicle run --days 80 --dose "wnt_inhibitor:2 mg/kg@12,14,16" --set "tau_anagen=20 day"
    follicle sweep macrophage_wnt_inhibition wnt_inhibitor.amount "0:5:11" --out delay.csv
    follicle sweep ageing k_CA 20:40 tau_anagen "12:24 day" --sample lhs:64 --seed 1
    follicle export-sbml abt737_after_induction -o abt737.xml

Every command has ``--help``. Exit codes: 0 success; 2 the command line cannot be read
(unknown option, malformed ``--dose``/``--set``/values); 1 the model refused the input or
failed (an unknown name, a value out of range or in the wrong unit, a solver failure). Errors
are one line on stderr, without a traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from follicle import limits
from follicle.designs import grid, latin_hypercube, sobol
from follicle.errors import FollicleError, UnknownNameError, renamed
from follicle.models import INTERVENTIONS, SCENARIOS, Scenario, coupled, dose, scenario
from follicle.models.interventions import DOSE_UNIT, induce_senescence
from follicle.models.readouts import anagen_onset, first_anagen_onset
from follicle.readouts import Peak, TimeAverage, ValueAt
from follicle.sweep import CHUNK

__all__ = ["main"]

#: Length of a run without a scenario (days from the start of a telogen).
UNTREATED_DAYS = 200.0
#: A sweep is cut into this many batches (fewer if it has fewer members; more if batches
#: would exceed the engine's chunk, so that memory stays flat), so that its
#: progress bar moves.
PROGRESS_STEPS = 20
#: ... but no batch is smaller than this: each batch costs about 0.8 ms of set-up, 17% of
#: a member's time at 5 members per batch and 2.5% at 50 (the coupled model, measured).
MIN_BATCH = 50


class UsageError(Exception):
    """The command line cannot be read (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with code 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- reading the command line -----------------------------------------------------------
def _number_or_quantity(text: str, what: str):
    """A bare number as a float, anything else as a quantity string for the engine."""
    text = text.strip()
    if not text:
        raise UsageError(f"{what} is empty")
    try:
        return float(text)
    except ValueError:
        return text


def parse_dose(text: str) -> list:
    """``NAME:AMOUNT@DAY[,DAY...]`` -> bolus doses (``AMOUNT`` may carry a unit)."""
    name, sep, rest = text.partition(":")
    amount, at, days = rest.rpartition("@")
    if not (sep and at and name.strip() and amount.strip() and days.strip()):
        raise UsageError(
            f"--dose {text!r}: write NAME:AMOUNT@DAY or NAME:AMOUNT@DAY,DAY,..., "
            "e.g. 'wnt_inhibitor:2 mg/kg@12,14'"
        )
    amount = _number_or_quantity(amount, f"--dose {text!r}: the amount")
    return [
        dose(name.strip(), _number_or_quantity(day, f"--dose {text!r}: a day"), amount)
        for day in days.split(",")
    ]


def parse_setting(text: str) -> tuple[str, object]:
    """``PARAM=VALUE`` -> (name, value); the value may carry a unit (``"20 day"``)."""
    name, sep, value = text.partition("=")
    if not (sep and name.strip()):
        raise UsageError(f"--set {text!r}: write PARAM=VALUE, e.g. 'tau_anagen=20 day'")
    return name.strip(), _number_or_quantity(value, f"--set {text!r}: the value")


def _split_unit(text: str) -> tuple[str, str]:
    numbers, _, unit = text.strip().partition(" ")
    return numbers, unit.strip()


def parse_values(text: str) -> tuple[np.ndarray, str]:
    """Sweep values ``START:STOP:N`` (evenly spaced), ``log:START:STOP:N`` or ``A,B,C``,
    optionally followed by a unit after a space. Returns the numbers and the unit ("")."""
    numbers, unit = _split_unit(text)
    try:
        if ":" in numbers:
            spread = np.geomspace if numbers.startswith("log:") else np.linspace
            start, stop, n = numbers.removeprefix("log:").split(":")
            start, stop, n = float(start), float(stop), int(n)
        else:
            values = np.array([float(v) for v in numbers.split(",")])
    except ValueError:
        raise UsageError(
            f"values {text!r}: write START:STOP:N, log:START:STOP:N or A,B,C, optionally "
            "followed by a unit, e.g. '0:5:11 mg/kg'"
        ) from None
    if ":" in numbers:
        limits.check("members", n, f"values {text!r}: N")
        try:
            values = spread(start, stop, max(n, 0))
        except ValueError:  # geomspace from or to 0
            raise UsageError(f"values {text!r}: a log range needs START and STOP > 0") from None
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise UsageError(f"values {text!r}: give at least one finite number")
    return values, unit


def parse_range(text: str) -> tuple[np.ndarray, str]:
    """A sampled axis's range ``LOW:HIGH``, optionally followed by a unit."""
    numbers, unit = _split_unit(text)
    try:
        low, high = (float(v) for v in numbers.split(":"))
    except ValueError:
        raise UsageError(
            f"range {text!r}: with --sample write LOW:HIGH, optionally followed by a unit, "
            "e.g. '0:5 mg/kg'"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise UsageError(f"range {text!r}: LOW and HIGH must be finite with LOW < HIGH")
    return np.array([low, high]), unit


def parse_sample(text: str) -> tuple[str, int]:
    """``lhs:N`` or ``sobol:N`` -> (kind, N)."""
    kind, _, n = text.partition(":")
    if kind not in ("lhs", "sobol") or not n.isdigit() or int(n) < 1:
        raise UsageError(f"--sample {text!r}: write lhs:N or sobol:N with N >= 1, e.g. lhs:64")
    return kind, int(n)


# -- a sweep ----------------------------------------------------------------------------------
def _readout(spec: str, days: float):
    """A sweep readout's name and the readout: ``anagen_onset``, or ``mean:NAME``,
    ``value:NAME`` (at the end of the run), ``max:NAME`` of any state or observable (all
    computed on the fly by the sweep, and named as :mod:`follicle.readouts` names them).
    ``final:NAME`` is the deprecated spelling of ``value:NAME``."""
    if spec == "anagen_onset":
        return spec, anagen_onset
    kind, _, name = spec.partition(":")
    if kind == "final" and name:
        kind, _, name = renamed("the readout", spec, f"value:{name}").partition(":")
    readouts = {
        "mean": lambda: TimeAverage(name),
        "value": lambda: ValueAt(name, days),
        "max": lambda: Peak(name),
    }
    if kind not in readouts or not name:
        raise UsageError(
            f"readout {spec!r}: choose anagen_onset, mean:NAME, value:NAME or max:NAME"
        )
    readout = readouts[kind]()
    return readout.column, readout


def _axis(base: Scenario, model, axis: str):
    """The unit of a command-line axis, and a function taking one value (a number or a
    quantity string) to the engine's number; it refuses what the model does."""
    drug, dot, field = axis.partition(".")
    if dot:
        if field != "amount":
            raise UsageError(f"axis {axis!r}: a drug axis is DRUG.amount")
        base.with_doses(drug, 0.0)  # an unknown drug, or one the scenario does not dose
        return axis, DOSE_UNIT, lambda v: dose(drug, 0, v).amount
    if axis in model.states:
        i = model.state_names.index(axis)
        return axis, model.states[axis].unit, lambda v: model.initial_vector({axis: v})[i]
    if axis in model.parameters:
        i = model.parameter_names.index(axis)
        return axis, model.parameters[axis].unit, lambda v: model.parameter_vector({axis: v})[i]
    raise UnknownNameError(
        "sweep axis (PARAM, STATE or DRUG.amount)", axis, [*model.parameters, *model.states]
    )


def _design(base: Scenario, model, pairs, sample, seed):
    """The design of the sweep in the engine's numbers, and each axis's header."""
    axes, headers = {}, []
    for axis, text in pairs:
        name, unit, to_engine = _axis(base, model, axis)
        if name in axes:
            raise UsageError(f"axis {axis!r} is given twice")
        numbers, given = parse_range(text) if sample else parse_values(text)
        axes[name] = [to_engine(f"{float(v)!r} {given}" if given else float(v)) for v in numbers]
        headers.append(f"{axis} [{unit}]")
    if sample is None:
        return grid(axes), headers
    kind, n = sample
    draw = latin_hypercube if kind == "lhs" else sobol
    return draw({name: tuple(v) for name, v in axes.items()}, n, seed=seed), headers


# -- commands -----------------------------------------------------------------------------
def _scenario_or_untreated(name: str | None, days) -> Scenario:
    if name is None:
        base = Scenario("untreated", "Untreated skin", "No intervention.", UNTREATED_DAYS, ())
    else:
        base = scenario(name)
    return base if days is None else replace(base, days=days)


def _cmd_scenarios(args) -> int:
    width = max(map(len, SCENARIOS))
    for name, s in SCENARIOS.items():
        print(f"{name:<{width}}  {s.days:>5g} day  {s.title}")
    return 0


def _cmd_interventions(args) -> int:
    width = max(map(len, INTERVENTIONS))
    for name, description in INTERVENTIONS.items():
        unit = "on/off" if name == "senescence_induction" else DOSE_UNIT
        print(f"{name:<{width}}  {unit:<6}  {description}")
    return 0


def _with_options(args) -> Scenario:
    base = _scenario_or_untreated(args.scenario, args.days)
    extra = [event for text in args.dose for event in parse_dose(text)]
    for text in args.induce:
        start, sep, stop = text.partition(":")
        if not sep:
            raise UsageError(f"--induce {text!r}: write START:STOP in days, e.g. '0:21'")
        extra.append(
            induce_senescence(
                _number_or_quantity(start, "--induce start"),
                _number_or_quantity(stop, "--induce stop"),
            )
        )
    params = dict(parse_setting(text) for text in args.set)
    return replace(base, schedule=(*base.schedule, *extra), params={**base.params, **params})


def write_csv(path: Path, run) -> Path:
    """Every state and observable of ``run`` by time, units in the header."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["t [day]", *(f"{n} [{run.unit(n)}]" for n in run.names)])
        for i, t in enumerate(run.t):
            out.writerow([f"{t:.10g}", *(f"{v:.10g}" for v in run.values[:, i])])
    return path


def _cmd_run(args) -> int:
    from follicle.models.plot import overview

    chosen = _with_options(args)
    run = chosen.run()
    args.out.mkdir(parents=True, exist_ok=True)
    table = write_csv(args.out / f"{chosen.name}.csv", run)
    picture = args.out / f"{chosen.name}.png"
    overview(run, title=chosen.title).savefig(picture, dpi=120, metadata={"Software": None})
    onset = first_anagen_onset(run)
    when = f"day {onset:.1f}" if math.isfinite(onset) else "not within the run"
    print(f"{chosen.name}: {run.t[-1]:g} days; first anagen onset {when}")
    print(f"wrote {table} and {picture}")
    return 0


def _cmd_sweep(args) -> int:
    base = _with_options(args)
    if len(args.axes) % 2:
        raise UsageError("give every AXIS its VALUES: SCENARIO AXIS VALUES [AXIS VALUES ...]")
    sample = parse_sample(args.sample) if args.sample else None
    column, readout = _readout(args.readout, base.days)
    model = coupled()
    pairs = list(zip(args.axes[::2], args.axes[1::2], strict=True))
    design, headers = _design(base, model, pairs, sample, args.seed)
    result = base.sweep(
        design, {column: readout}, model=model,
        chunk_size=min(CHUNK, max(MIN_BATCH, math.ceil(len(design) / PROGRESS_STEPS))),
        progress=not args.no_progress and sys.stderr.isatty(),
    )  # fmt: skip
    rows = [
        [*(f"{v:.10g}" for v in values), f"{readout:.10g}", status]
        for values, readout, status in zip(
            design.values, result.readouts[column], result.status, strict=True
        )
    ]
    table = [[*headers, column, "status"], *rows]
    if args.out is None:
        csv.writer(sys.stdout).writerows(table)
    else:
        with args.out.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(table)
        print(f"wrote {args.out}")
    if result.failed.size:
        first = result.failed[0]
        print(
            f"follicle: warning: {result.failed.size} of {len(result)} members have no "
            f"readout (status column); member {first}: {result.reason[first]}",
            file=sys.stderr,
        )
    return 0


def _cmd_export_sbml(args) -> int:
    from follicle import sbml

    chosen = _with_options(args)
    path = sbml.to_file(
        args.output,
        coupled(),
        chosen.schedule,
        params=dict(chosen.params),
        initial=dict(chosen.initial),
    )
    print(
        f"wrote {path} ({chosen.name}; the document starts at day 0, simulate it for "
        f"{chosen.days:g} days)"
    )
    return 0


# -- the parser -----------------------------------------------------------------------------
def _add_scenario_options(p, scenario_required: bool = False):
    p.add_argument(
        "scenario",
        nargs=None if scenario_required else "?",
        metavar="SCENARIO",
        help="a named scenario (see 'follicle scenarios')"
        + ("" if scenario_required else "; default: untreated skin"),
    )
    p.add_argument("--days", type=float, help="simulated duration (default: the scenario's)")
    p.add_argument(
        "--dose",
        action="append",
        default=[],
        metavar="NAME:AMOUNT@DAY[,DAY...]",
        help=f"add doses of a drug (amount in {DOSE_UNIT} unless a unit is given); repeatable",
    )
    p.add_argument(
        "--induce",
        action="append",
        default=[],
        metavar="START:STOP",
        help="switch senescence induction on from START to STOP (days); repeatable",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="change a parameter, e.g. 'tau_anagen=20 day' (bare numbers are in the "
        "parameter's unit); repeatable",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``follicle`` command."""
    top = _Parser(
        prog="follicle",
        description=__doc__.split("\n\n")[0],
        epilog="Run 'follicle COMMAND --help' for a command's options.",
    )
    top.add_argument("--version", action="version", version=_version())
    commands = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "scenarios",
        help="list the named scenarios",
        description="List the named scenarios: name, duration, title.",
    )
    p.set_defaults(func=_cmd_scenarios)

    p = commands.add_parser(
        "interventions",
        help="list drugs and switches with their units",
        description="List the interventions: name, unit, description.",
    )
    p.set_defaults(func=_cmd_interventions)

    p = commands.add_parser(
        "run",
        help="simulate a scenario; write CSV and PNG",
        description="Simulate a scenario (or untreated skin) on the coupled model, optionally "
        "with extra doses and parameter changes; write OUT/NAME.csv (every state and "
        "observable) and OUT/NAME.png (an overview).",
    )
    _add_scenario_options(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="output folder (default: the current one)",
    )
    p.set_defaults(func=_cmd_run)

    p = commands.add_parser(
        "sweep",
        help="a readout of a scenario over a grid or a sample of axes",
        description="Run a scenario for every member of a grid over one or more axes (a "
        "parameter, a state's initial value, or DRUG.amount for every dose of a drug in the "
        "scenario), or of a seeded Latin-hypercube or Sobol sample within ranges, through "
        "the batched integrator of follicle.sweep, and tabulate a readout as CSV: one row "
        "per member, axis values in the model's units, the readout and the member's status "
        "(ok, invalid or failed; a member that is not ok has readout nan).",
    )
    _add_scenario_options(p, scenario_required=True)
    p.add_argument(
        "axes",
        nargs="+",
        metavar="AXIS VALUES",
        help="AXIS is PARAM, STATE or DRUG.amount; VALUES is START:STOP:N, "
        "log:START:STOP:N or A,B,C (LOW:HIGH with --sample), optionally followed "
        "by a unit, e.g. 'wnt_inhibitor.amount \"0:5:11 mg/kg\"'",
    )
    p.add_argument(
        "--sample",
        metavar="lhs:N|sobol:N",
        help="N members of a Latin hypercube or a scrambled Sobol sequence (N a "
        "power of two) within the axes' LOW:HIGH ranges, instead of a grid",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default 0)")
    p.add_argument(
        "--readout",
        default="anagen_onset",
        help="anagen_onset (default; nan if none within the run), mean:NAME, value:NAME (at "
        "the end of the run), max:NAME",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="CSV file (default: stdout)")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none either when stderr is not a terminal)",
    )
    p.set_defaults(func=_cmd_sweep)

    p = commands.add_parser(
        "export-sbml",
        help="write a scenario as SBML",
        description="Write the coupled model with a scenario's schedule and parameters as an "
        "SBML Level 3 document (needs the [sbml] extra).",
    )
    _add_scenario_options(p)
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.set_defaults(func=_cmd_export_sbml)
    return top


def _version() -> str:
    from follicle import __version__

    return f"follicle {__version__}"


def _one_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as the command line shows errors: one line on stderr."""
    print(f"follicle: warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    """Run the command line; return the exit code (0 ok, 1 model error, 2 usage error).

    Warnings, deprecated spellings among them, are one line each on stderr.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("default", category=DeprecationWarning, module=r"follicle\b")
        warnings.showwarning = _one_line
        return _main(argv)


def _main(argv) -> int:
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except UsageError as exc:
        print(f"follicle: error: {exc}", file=sys.stderr)
        return 2
    except FollicleError as exc:
        print(f"follicle: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"follicle: error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
