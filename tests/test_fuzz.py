"""Fuzz the public entry points with hypothesis (issue 16, "Show").

Every call gets a mix of sensible and hostile input (text with arithmetic and code, NaN,
huge and tiny numbers, wrong types, None in odd places). It must either succeed, with no
NaN where a number was promised, or raise a :class:`~follicle.FollicleError`; any other
exception, or a call still running after ``HANG`` seconds, fails the test. Examples are
derandomised, so the run is the same every time; each test prints how many inputs it
tried (``pytest -s``).

The command line is fuzzed through its parsing and checking layers: the integration of the
coupled model (seconds per run) is replaced by a stand-in that performs every check
:func:`follicle.simulate` performs before integrating, then stops.
"""

from __future__ import annotations

import collections
import contextlib
import io
import math
import signal
import string
import warnings

import numpy as np
import pytest
from _models import PROV, decay, one_compartment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import follicle as fl
from follicle import fitting
from follicle.fitting import targets
from follicle.schedule import resolve
from follicle.simulate import output_times, time_span

#: Seconds after which a call counts as a hang.
HANG = 10

#: Text a careless user or an attacker would type, besides random text.
HOSTILE_TEXT = [
    "9**9**9 day",
    "1e999 day",
    "nan 1/day",
    "__import__('os').getpid()",
    "2 mg/kg",
    "3 day",
    "1/day",
    "",
    " ",
    "day",
    "-1 day",
    "1e-320 day",
    "0x10 day",
    "1_000 day",
    "2 * 3 day",
    "eval('1')",
    "a" * 500,
    "∞ day",
    "1 m**99",
    "(((((day",
    "1/0",
]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, 1e8, 0.5, 2.0, 10.0]),
)
texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40))
junk = st.one_of(
    numbers,
    texts,
    st.none(),
    st.booleans(),
    st.lists(numbers, max_size=3),
    st.dictionaries(texts, numbers, max_size=2),
)
names = st.one_of(st.sampled_from(["k_deg", "X", "drug", "k_el", "t", "1x", ""]), texts)


class Hang(Exception):
    """The call took longer than :data:`HANG` seconds."""


class _Accepted(Exception):
    """The stand-in of the integrator was reached: every check passed."""


@contextlib.contextmanager
def _deadline(seconds=HANG):
    def alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _finite(result):
    """Fail on a NaN where a number was promised."""
    if isinstance(result, fl.Trajectory):
        assert np.isfinite(result.values).all(), "NaN or inf in a trajectory"
    elif isinstance(result, fl.Ensemble):
        ok = result.status == "ok"
        if result.values is not None:
            assert np.isfinite(result.values[ok]).all(), "NaN in an ok member"
    elif isinstance(result, float):
        assert math.isfinite(result)


def _check(call) -> str:
    """Run ``call``: a FollicleError (``"refused"``) or success with finite numbers
    (``"accepted"``) pass; anything else fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fl.FollicleWarning)
        with _deadline():
            try:
                _finite(call())
            except fl.FollicleError:
                return "refused"
            except _Accepted:
                pass
    return "accepted"


def _fuzz(strategy, target, examples):
    """Run ``target(case)`` for ``examples`` cases drawn from ``strategy``; both outcomes
    (accepted, refused) must occur, or the fuzzing missed one side of the boundary."""
    outcomes = collections.Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case):
        outcomes[_check(lambda: target(case))] += 1

    run()
    print(f"\n{target.__name__}: {sum(outcomes.values())} inputs, {dict(outcomes)}")
    assert sum(outcomes.values()) >= examples // 2
    assert outcomes["accepted"] and outcomes["refused"], outcomes


def _one_at_a_time(valid: tuple, replacements: list):
    """Cases equal to ``valid`` but for one field drawn from its replacement strategy (and,
    as often, entirely random cases), so that checks deep inside a call are reached."""

    def one_field(field):
        return replacements[field].map(
            lambda value: tuple(value if i == field else v for i, v in enumerate(valid))
        )

    single = st.integers(0, len(valid) - 1).flatmap(one_field)
    return st.one_of(single, st.tuples(*replacements))


# -- the entry points ------------------------------------------------------------------
MODEL = decay()
PK = one_compartment()


def _simulate(case):
    days, t_eval, params, initial, rtol, max_step = case
    options = {} if t_eval is None else {"t_eval": t_eval}
    return fl.simulate(
        MODEL, days=days, params=params, initial=initial, rtol=rtol, max_step=max_step, **options
    )


def test_fuzz_simulate():
    small = st.sampled_from([1.0, "2 day", 0.5])
    replacements = [
        st.one_of(small, junk),
        st.one_of(st.none(), junk),
        st.one_of(st.none(), st.dictionaries(names, junk, max_size=2), junk),
        st.one_of(st.none(), st.dictionaries(names, junk, max_size=2), junk),
        st.one_of(st.just(1e-6), junk),
        st.one_of(st.just(math.inf), junk),
    ]
    _fuzz(_one_at_a_time((1.0, None, None, None, 1e-6, math.inf), replacements), _simulate, 300)


def _ensemble(case):
    params, initial, days, readout_time = case
    readouts = None if readout_time is None else {"x": fl.readouts.ValueAt("X", readout_time)}
    return fl.simulate_ensemble(
        MODEL, days=days, params=params, initial=initial, readouts=readouts
    )


def test_fuzz_simulate_ensemble():
    column = st.one_of(junk, st.lists(numbers, min_size=1, max_size=4))
    _fuzz(
        st.tuples(
            st.one_of(st.none(), st.dictionaries(names, column, max_size=2), junk),
            st.one_of(
                st.none(),
                st.dictionaries(names, column, max_size=2),
                st.lists(st.dictionaries(names, junk, max_size=1), max_size=3),
            ),
            st.one_of(st.just(1.0), junk),
            st.one_of(st.none(), junk),
        ),
        _ensemble,
        200,
    )


def _design(case):
    kind, axes, n, seed = case
    if kind == "grid":
        return fl.grid(axes)
    if kind == "points":
        return fl.points(axes)
    draw = fl.latin_hypercube if kind == "latin_hypercube" else fl.sobol
    return draw(axes, n, seed=seed)


def test_fuzz_sweep_designs():
    axes = st.dictionaries(names, st.one_of(junk, st.tuples(numbers, numbers)), max_size=3)
    _fuzz(
        st.tuples(
            st.sampled_from(["grid", "points", "latin_hypercube", "sobol"]),
            axes,
            st.one_of(st.integers(-3, 70), junk),
            st.one_of(st.integers(0, 9), junk),
        ),
        _design,
        300,
    )


def _sweep(case):
    axes, readout = case
    return fl.sweep(MODEL, axes, readout=readout, days=2, progress=False)


def test_fuzz_sweep():
    axis = st.one_of(st.lists(numbers, min_size=1, max_size=3), junk)
    readout = st.one_of(st.just(fl.readouts.ValueAt("X", 1.0)), junk)
    _fuzz(st.tuples(st.dictionaries(names, axis, min_size=1, max_size=2), readout), _sweep, 100)


def _schedule(case):
    kind, target, amount, time, stop = case
    if kind == "bolus":
        events = fl.Bolus(target, amount, time)
    elif kind == "infusion":
        events = fl.Infusion(target, amount, time, stop)
    elif kind == "step":
        events = fl.ParameterStep(target, amount, time, stop)
    elif kind == "repeat":
        events = fl.repeat(fl.Bolus("drug", 1.0, 1.0), amount, time)
    else:
        events = [fl.Bolus("drug", 1.0, 1.0), target, amount]
    return fl.simulate(PK, days=5, schedule=events)


def test_fuzz_schedules():
    kinds = st.sampled_from(["bolus", "infusion", "step", "repeat", "list"])
    replacements = [
        kinds,
        st.one_of(st.sampled_from(["drug", "k_el"]), names, junk),
        st.one_of(st.sampled_from([1.0, "1 mg/kg", 0.1]), junk),
        st.one_of(st.sampled_from([0.0, 1.0, 3, "2 day"]), junk),
        st.one_of(st.sampled_from([2.0, 4.0, None]), junk),
    ]
    cases = kinds.flatmap(
        lambda kind: _one_at_a_time(
            (kind, "k_el" if kind == "step" else "drug", 1.0, 1.0, 2.0), replacements
        )
    )
    _fuzz(cases, _schedule, 300)


def _definition(case):
    state_name, unit, initial, param_value, bounds, term, total = case
    m = fl.Module("fuzz")
    x = m.state(state_name, unit, initial)
    k = m.parameter("k", param_value, "1/day", bounds=bounds, provenance=PROV)
    m.rate(x, term(k, x) if callable(term) else term)
    if total is not None:
        y = m.state("Y", unit, 0.0)
        m.flow(x, y, k * x)
        m.conserve([x, y], total)
    m.observable("twice", 2 * x)
    return fl.Model("fuzz", [m])


#: A valid definition; the fuzz replaces one field at a time, so every check is reached.
VALID_DEFINITION = ("X", "nM", 1.0, 0.5, (0.0, math.inf), lambda k, x: -k * x, None)


def test_fuzz_module_and_model_definition():
    replacements = [
        st.one_of(names, junk),
        st.one_of(st.sampled_from(["nM", "cell/mm**2", "1"]), texts, junk),
        junk,
        junk,
        st.one_of(st.tuples(numbers, numbers), st.tuples(junk, junk), junk),
        st.one_of(texts, junk),
        st.one_of(numbers, junk),
    ]

    _fuzz(_one_at_a_time(VALID_DEFINITION, replacements), _definition, 300)


def _units(case):
    text, unit = case
    return fl.units.as_magnitude(text, unit, what="fuzz")


def test_fuzz_quantities_and_units():
    symbols = st.text(alphabet=string.ascii_letters + string.digits + " */^()+-.·²µ", max_size=30)
    _fuzz(
        st.tuples(
            st.one_of(texts, symbols, junk),
            st.one_of(st.sampled_from(["day", "nM", "1/day", "mg/kg"]), symbols, junk),
        ),
        _units,
        400,
    )


def _loaders(case, folder):
    kind, data = case
    path = folder / ("m.csv" if kind == "data" else "t.toml")
    path.write_bytes(data)
    if kind == "data":
        return fitting.load_dataset(path, MODEL)
    return targets.load(path)


def test_fuzz_data_and_target_loaders(tmp_path):
    header = (
        b"# synthetic: true\n# provenance: fuzz\n"
        b"observableId,simulationConditionId,time,measurement,noiseParameters\n"
    )
    csv_bytes = st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: header + t.encode("utf-8")),
        st.text(max_size=200).map(lambda t: header + t.encode("latin-1", "replace")),
        st.lists(st.tuples(texts, texts, numbers, numbers, numbers), max_size=3).map(
            lambda rows: (
                header
                + "".join(f"{a},{b},{c},{d},{e}\n" for a, b, c, d, e in rows).encode(
                    "utf-8", "replace"
                )
            )
        ),
    )
    toml_bytes = st.one_of(
        st.binary(max_size=200), st.text(max_size=200).map(lambda t: ("[t]\n" + t).encode())
    )

    def loaders(case):
        return _loaders(case, tmp_path)

    _fuzz(
        st.one_of(
            st.tuples(st.just("data"), csv_bytes), st.tuples(st.just("targets"), toml_bytes)
        ),
        loaders,
        300,
    )


def _export(case):
    schedule, params, initial = case
    return fl.sbml.export(PK, schedule, params=params, initial=initial)


def test_fuzz_sbml_export():
    pytest.importorskip("libsbml")
    _fuzz(
        st.tuples(
            st.one_of(
                st.none(),
                st.lists(
                    st.one_of(
                        st.builds(fl.Bolus, st.just("drug"), st.one_of(numbers, texts), numbers),
                        junk,
                    ),
                    max_size=2,
                ),
                junk,
            ),
            st.one_of(st.none(), st.dictionaries(names, junk, max_size=2), junk),
            st.one_of(st.none(), st.dictionaries(names, junk, max_size=2), junk),
        ),
        _export,
        150,
    )


def _stand_in(
    model, days=None, *, t_span=None, params=None, initial=None, schedule=None, **options
):
    """Everything simulate() checks before it integrates; then stop."""
    t0, t1 = time_span(days, t_span, model.time_unit)
    output_times(options.get("t_eval"), t0, t1, model.time_unit)
    p = model.parameter_vector(params)
    model.initial_vector(initial)
    resolve(fl.Schedule.of(schedule), model, t0, t1, p)
    raise _Accepted


def test_fuzz_command_line(monkeypatch, tmp_path):
    from follicle.models import scenarios
    from follicle.models.cli import main

    monkeypatch.setattr(scenarios, "simulate", _stand_in)
    words = st.one_of(
        texts,
        st.sampled_from(
            [
                "run",
                "sweep",
                "list",
                "--days",
                "--set",
                "--dose",
                "--sample",
                "--seed",
                "tau_anagen=20 day",
                "wnt_inhibitor:2 mg/kg@12,14",
                "k_CA=9**9**9 1/day",
                "early_telogen_macrophage_apoptosis",
                "lhs:4",
                "sobol:3",
                "0:1:100000000",
            ]
        ),
    )

    def command_line(argv):
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                code = main(
                    ["run", "early_telogen_macrophage_apoptosis", "--out", str(tmp_path), *argv]
                )
        except SystemExit as stop:  # only --help (or -h) may leave through argparse
            assert stop.code == 0, stop
            return
        assert code in (0, 1, 2)
        if code:  # refused: a message that starts as every error of the command line does
            text = stderr.getvalue()
            assert "follicle: error: " in text and "Traceback" not in text, text
            raise fl.FollicleError(text)

    _fuzz(st.lists(words, max_size=6), command_line, 200)
