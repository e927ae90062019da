"""Pickling of models, compiled models and trajectories; the compile cache; immutability and
pandas export of trajectories."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from _models import TIGHT, chain, decay, hill_feedback, one_compartment

import follicle as fl
import follicle.codegen.arrays as fc


def _roundtrip(obj):
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


# -- pickling ---------------------------------------------------------------------------
def test_model_pickle_roundtrip_simulates_identically():
    model = hill_feedback()
    before = fl.simulate(model, days=5, **TIGHT)
    copy = _roundtrip(model)
    assert copy is not model
    assert copy.state_names == model.state_names
    assert copy.parameter_names == model.parameter_names
    assert copy.observable_names == model.observable_names
    assert copy.rhs_expressions == model.rhs_expressions
    assert {n: p.value for n, p in copy.parameters.items()} == {
        n: p.value for n, p in model.parameters.items()
    }
    after = fl.simulate(copy, days=5, **TIGHT)
    np.testing.assert_array_equal(after.values, before.values)
    np.testing.assert_array_equal(after.t, before.t)


def test_unpickled_model_fetches_compiled_code_from_the_cache():
    model = decay(0.7)
    compiled = model.compiled
    copy = _roundtrip(model)
    assert "compiled" not in copy.__dict__  # the compiled code is not stored in the pickle
    assert copy.compiled is compiled


def test_model_pickle_keeps_changed_defaults():
    model = decay(0.7).with_defaults(k_deg=2.0)
    copy = _roundtrip(model)
    assert copy.parameters["k_deg"].value == 2.0
    run = fl.simulate(copy, days=2, **TIGHT)
    np.testing.assert_allclose(run["X"], np.exp(-2.0 * run.t), rtol=1e-6)


def test_compiled_model_pickle_roundtrip():
    model = hill_feedback()
    compiled = model.compiled
    copy = _roundtrip(compiled)
    assert copy is not compiled
    assert copy.source == compiled.source
    assert (copy.n_states, copy.n_params, copy.n_observables) == (3, 10, 1)
    np.testing.assert_array_equal(copy.jac_rows, compiled.jac_rows)
    np.testing.assert_array_equal(copy.jac_cols, compiled.jac_cols)
    rng = np.random.default_rng(1)
    y = rng.uniform(0.1, 5, size=3)
    p = np.array([par.value for par in model.parameters.values()])
    for fn in ("rhs", "jac", "observables"):
        np.testing.assert_array_equal(
            getattr(copy, fn)(1.5, y, p), getattr(compiled, fn)(1.5, y, p)
        )
    np.testing.assert_array_equal(
        copy.jac_sparse(1.5, y, p).toarray(), compiled.jac_sparse(1.5, y, p).toarray()
    )


def test_trajectory_pickle_roundtrip():
    run = fl.simulate(
        one_compartment(),
        days=10,
        schedule=[fl.Bolus("drug", 1.0, 2)],
        events=[fl.Threshold("drug", 0.5, label="half")],
    )
    copy = _roundtrip(run)
    np.testing.assert_array_equal(copy.t, run.t)
    np.testing.assert_array_equal(copy.values, run.values)
    np.testing.assert_array_equal(copy["drug_ug"], run["drug_ug"])
    assert copy.names == run.names and copy.units == run.units
    assert copy.parameters == run.parameters
    assert copy.schedule == run.schedule
    assert copy.events == run.events
    assert copy.stats == run.stats
    assert copy.model_name == run.model_name
    assert copy.event_times("half") == run.event_times("half")


@pytest.mark.parametrize(
    "protocol", sorted({2, 4, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL})
)
def test_unpickled_trajectory_is_still_read_only(protocol):
    copy = pickle.loads(pickle.dumps(fl.simulate(decay(), days=1), protocol=protocol))
    np.testing.assert_allclose(copy["X"], np.exp(-0.5 * copy.t), rtol=1e-5)
    with pytest.raises(ValueError, match="read-only"):
        copy["X"][0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        copy.t[0] = 5.0


# -- no rebuild on a parameter change -------------------------------------------------
def test_parameter_overrides_reuse_the_compiled_model():
    model = decay(0.5)
    compiled = model.compiled
    runs = [fl.simulate(model, days=3, params={"k_deg": k}, **TIGHT) for k in (0.1, 1.0, 3.0)]
    assert model.compiled is compiled
    for k, run in zip((0.1, 1.0, 3.0), runs, strict=True):
        np.testing.assert_allclose(run["X"], np.exp(-k * run.t), rtol=1e-6)
    # Overrides do not change the model's defaults.
    assert model.parameters["k_deg"].value == 0.5


def test_with_defaults_reuses_the_compiled_model():
    model = decay(0.5)
    compiled = model.compiled
    faster = model.with_defaults(k_deg=2.0)
    assert faster is not model
    assert faster.compiled is compiled
    assert faster.parameters["k_deg"].value == 2.0
    assert model.parameters["k_deg"].value == 0.5
    run = fl.simulate(faster, days=2, **TIGHT)
    np.testing.assert_allclose(run["X"], np.exp(-2.0 * run.t), rtol=1e-6)


def test_with_defaults_before_compiling_also_shares_the_cache():
    model = chain([1.0, 2.0, 0.25])
    other = model.with_defaults(k_0="3 1/day")
    assert other.parameters["k_0"].value == 3.0
    assert other.compiled is model.compiled


def test_with_defaults_validates_values():
    model = decay(0.5)
    with pytest.raises(fl.errors.ParameterValueError, match="k_deg"):
        model.with_defaults(k_deg=-1.0)
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'k_deg'"):
        model.with_defaults(k_dge=1.0)


def test_same_structure_built_twice_compiles_once():
    first = hill_feedback()
    second = hill_feedback()
    assert first is not second
    compiled = first.compiled
    assert second.compiled is compiled
    key = fc._fingerprint(first)
    assert fc._fingerprint(second) == key
    assert fc._CACHE[key] is compiled


def test_different_default_values_share_compiled_code():
    assert decay(0.1).compiled is decay(5.0).compiled


def test_different_structure_compiles_separately():
    a = chain([1.0, 2.0])
    b = chain([1.0, 2.0], sink=False)
    assert a.compiled is not b.compiled
    assert fc._fingerprint(a) != fc._fingerprint(b)
    # Different unit conversions are different equations.
    hourly, daily = decay(1.0, rate_unit="1/hour"), decay(1.0)
    assert hourly.compiled is not daily.compiled


def test_cache_fetch_does_not_grow_the_cache():
    _ = decay(0.3).compiled
    size = len(fc._CACHE)
    for k in (0.1, 0.2, 0.4):
        _ = decay(k).compiled
    assert len(fc._CACHE) == size


# -- trajectory values ------------------------------------------------------------------
def test_trajectory_arrays_are_read_only():
    run = fl.simulate(one_compartment(), days=2, schedule=[fl.Bolus("drug", 1.0, 1)])
    for array in (run.t, run.values, run["drug"], run["drug_ug"]):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    with pytest.raises(AttributeError):
        run.t = np.zeros(3)
    values = run.parameter_values
    values["k_el"] = 99.0
    assert run.parameter_values["k_el"] == 0.3


def test_to_pandas():
    pd = pytest.importorskip("pandas")
    run = fl.simulate(one_compartment(), days=3, schedule=[fl.Bolus("drug", 2.0, 1)])
    frame = run.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["drug", "drug_ug"]
    assert frame.index.name == "t"
    np.testing.assert_array_equal(frame.index.to_numpy(), run.t)
    np.testing.assert_array_equal(frame["drug"].to_numpy(), run["drug"])
    np.testing.assert_array_equal(frame["drug_ug"].to_numpy(), run["drug_ug"])
    assert frame.attrs["units"] == {"drug": "mg/kg", "drug_ug": "mg/kg", "t": "day"}
    assert len(frame) == run.t.size


def test_trajectory_names_units_and_quantities():
    run = fl.simulate(hill_feedback(), days=1)
    assert run.state_names == ("X", "Y", "W")
    assert run.observable_names == ("activity",)
    assert "X" in run and "activity" in run and "beta" not in run
    assert run.unit("X") == "nM" and run.unit("W") == "cell" and run.unit("t") == "day"
    q = run.quantity("X")
    np.testing.assert_array_equal(q.to("nM").magnitude, run["X"])
    np.testing.assert_allclose(q.to("uM").magnitude, run["X"] / 1000)
    assert run.quantity("t").to("hour").magnitude[-1] == pytest.approx(24.0)
