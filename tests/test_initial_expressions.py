"""Initial values that are expressions of the parameters (SBML initial assignments).

The model is x' = -k x with x(0) = a b, so x(t) = a b exp(-k t), dx/da = b exp(-k t) and
dx/dk = -t a b exp(-k t): every entry point that takes parameters must start from the
initial value its own parameters give.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import follicle as fl

TIMES = np.array([0.0, 1.0, 2.0])


def _decay(initial=None):
    m = fl.Module("decay")
    a = m.parameter("a", 2.0, "nM", bounds=(-np.inf, np.inf), provenance="test")
    b = m.parameter("b", 3.0, "1", provenance="test")
    k = m.parameter("k", 0.5, "1/day", provenance="test")
    x = m.state("x", "nM", a * b if initial is None else initial(a, b, k))
    m.rate(x, -k * x)
    return fl.Model("decay", [m])


def _closed(a, b=3.0, k=0.5, t=TIMES):
    return a * b * np.exp(-k * t)


def test_the_default_is_the_expression_at_the_default_parameters():
    model = _decay()
    assert model.states["x"].initial == 6.0
    assert model.initial_expressions["x"] == sp.Symbol("a", real=True) * sp.Symbol("b", real=True)
    assert model.with_defaults(a=5.0).states["x"].initial == 15.0


def test_simulate_starts_from_the_runs_own_parameters():
    run = fl.simulate(_decay(), days=2, t_eval=TIMES, params={"a": 4.0}, rtol=1e-10)
    np.testing.assert_allclose(run["x"], _closed(4.0), rtol=1e-8)


def test_a_given_initial_value_wins_over_the_expression():
    run = fl.simulate(_decay(), days=2, t_eval=TIMES, params={"a": 4.0}, initial={"x": 1.0})
    np.testing.assert_allclose(run["x"], np.exp(-0.5 * TIMES), rtol=1e-6)


def test_each_ensemble_member_starts_from_its_parameters():
    a = np.array([1.0, 2.0, 7.0])
    ens = fl.simulate_ensemble(_decay(), days=2, t_eval=TIMES, params={"a": a}, rtol=1e-10)
    assert list(ens.status) == ["ok"] * 3
    np.testing.assert_allclose(ens.values[:, 0, :], _closed(a[:, None]), rtol=1e-8)


def test_a_member_whose_expression_breaks_the_state_is_invalid_by_name():
    ens = fl.simulate_ensemble(_decay(), days=2, params={"a": np.array([1.0, -1.0])})
    assert list(ens.status) == ["ok", "invalid"]
    assert "initial value of state 'x' is -3" in ens.reason[1]
    with pytest.raises(fl.errors.ParameterValueError, match=r"state 'x', a\*b, is -3 nM"):
        fl.simulate(_decay(), days=2, params={"a": -1.0})


def test_a_sweep_over_a_parameter_moves_the_initial_value():
    result = fl.sweep(
        _decay(), {"a": [1.0, 2.0, 5.0]}, fl.readouts.ValueAt("x", 1.0), days=2, rtol=1e-10
    )
    np.testing.assert_allclose(
        result["value:x"], _closed(np.array([1.0, 2.0, 5.0]), t=1.0), rtol=1e-7
    )


def test_sensitivities_start_from_the_derivative_of_the_initial_value():
    s = fl.simulate_sensitivities(_decay(), ["a", "k"], days=2, t_eval=TIMES, rtol=1e-10)
    np.testing.assert_allclose(s.of("x", "a"), 3.0 * np.exp(-0.5 * TIMES), rtol=1e-6)
    np.testing.assert_allclose(s.of("x", "k"), -TIMES * _closed(2.0), rtol=1e-6, atol=1e-9)
    given = fl.simulate_sensitivities(_decay(), ["a"], days=2, t_eval=TIMES, initial={"x": 6.0})
    np.testing.assert_allclose(given.of("x", "a"), 0.0, atol=1e-12)


def test_the_expression_must_use_parameters_in_the_states_unit():
    with pytest.raises(fl.errors.UnitError, match=r"initial value of state 'x'.*1/d"):
        _decay(lambda a, b, k: k)
    m = fl.Module("bad")
    y = m.state("y", "nM", 1.0)
    m.state("x", "nM", 2 * y)
    with pytest.raises(fl.errors.ModelDefinitionError, match=r"may use only parameters.*'y'"):
        fl.Model("bad", [m])


def test_export_writes_an_initial_assignment_and_load_keeps_it(tmp_path):
    pytest.importorskip("libsbml")
    document = fl.sbml.export(_decay())
    assert "<initialAssignment" in document
    loaded = fl.sbml.load(document)
    assert set(loaded.initial_expressions) == {"x"}
    days = loaded.sbml.model_times(TIMES)
    run = fl.simulate(loaded, t_span=(0, days[-1]), t_eval=days, params={"a": 4.0}, rtol=1e-10)
    np.testing.assert_allclose(run["x"], _closed(4.0), rtol=1e-7)


_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="ia" timeUnits="second">
  <listOfCompartments>
   <compartment id="c" size="1" constant="true" spatialDimensions="3"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="x" compartment="c" initialAmount="0" hasOnlySubstanceUnits="true"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="a" value="2" constant="true"/><parameter id="b" value="3" constant="true"/>
   <parameter id="k" value="0.5" constant="true"/><parameter id="k2" constant="true"/>
  </listOfParameters>
  <listOfInitialAssignments>
   <initialAssignment symbol="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>a</ci><ci>b</ci></apply></math></initialAssignment>
   <initialAssignment symbol="k2"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><cn>2</cn><ci>k</ci></apply></math></initialAssignment>
  </listOfInitialAssignments>
  <listOfReactions>
   <reaction id="r" reversible="false">
    <listOfReactants><speciesReference species="x" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><times/><ci>k2</ci><ci>x</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>
 </model>
</sbml>"""


def test_an_sbml_initial_assignment_follows_the_parameters_it_uses():
    """x(0) = a b follows a; k2 = 2 k (a constant set by an initial assignment) follows k
    and is reported as an observable, not offered as a parameter that would do nothing."""
    pytest.importorskip("libsbml")
    model = fl.sbml.load(_SBML)
    assert "k2" not in model.parameter_names and "k2" in model.observable_names
    days = model.sbml.model_times(TIMES)
    run = fl.simulate(
        model, t_span=(0, days[-1]), t_eval=days, params={"a": 4.0, "k": 0.25}, rtol=1e-10
    )
    np.testing.assert_allclose(run["x"], _closed(4.0, k=0.5), rtol=1e-7)
    np.testing.assert_allclose(run["k2"], 0.5)


def test_libroadrunner_agrees_on_the_initial_value_after_reset():
    """libRoadRunner's reset() re-evaluates the species' initial assignment from the
    parameter set, as follicle does (it keeps k2 at its first value, so k stays put)."""
    roadrunner = pytest.importorskip("roadrunner")
    model = fl.sbml.load(_SBML)
    rr = roadrunner.RoadRunner(_SBML)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    days = model.sbml.model_times(TIMES)
    for a in (1.0, 4.0, 9.0):
        rr.setValue("a", a)
        rr.reset()
        peer = rr.simulate(0.0, 2.0, 3)[:, 1]
        run = fl.simulate(model, t_span=(0, days[-1]), t_eval=days, params={"a": a}, rtol=1e-10)
        np.testing.assert_allclose(run["x"], peer, rtol=1e-6)


def test_a_member_that_does_not_set_the_state_starts_from_its_own_parameters():
    """Members given as a list of mappings: one sets x(0), the others do not, and start
    from their own a b (not from the default's value another member's entry filled in)."""
    ens = fl.simulate_ensemble(
        _decay(),
        days=2,
        t_eval=TIMES,
        params=[{"a": 1.0}, {"a": 4.0}, {"a": 5.0}],
        initial=[{}, {"x": 7.0}, {}],
        rtol=1e-10,
    )
    np.testing.assert_allclose(ens.values[:, 0, 0], [3.0, 7.0, 15.0])


def test_a_fit_recovers_a_parameter_that_only_sets_the_initial_value():
    """Data of x(t) = a b exp(-k t) from a = 4: a moves x only through x(0) = a b, so a
    fit can find it only if each trial value of a starts the run from its own x(0)."""
    from follicle import fitting

    m = fl.Module("decay")
    a = m.parameter("a", 4.0, "nM", bounds=(0.1, 100.0), provenance="test")
    b = m.parameter("b", 3.0, "1", provenance="test")
    k = m.parameter("k", 0.5, "1/day", bounds=(0.01, 10.0), provenance="test")
    x = m.state("x", "nM", a * b)
    m.rate(x, -k * x)
    model = fl.Model("decay", [m])
    data = fitting.synthetic(model, {"x": ("lognormal", 1e-4)}, [0.5, 1.0, 2.0, 4.0], seed=2)
    problem = fitting.Problem(model, data, ["a", "k"], rtol=1e-9)
    fit = fitting.estimate(problem, starts=0, x0={"a": 1.0, "k": 1.0})
    assert fit.converged
    assert fit.best["a"] == pytest.approx(4.0, rel=1e-3)
    assert fit.best["k"] == pytest.approx(0.5, rel=1e-3)


def _isomerisation():
    """x <-> y (k1 forward, k2 back) from x(0) = T, y(0) = 0: x + y = T is conserved and
    the steady state is x* = k2 T / (k1 + k2), y* = k1 T / (k1 + k2)."""
    m = fl.Module("iso")
    total = m.parameter("T", 2.0, "nM", provenance="test")
    k1 = m.parameter("k1", 1.0, "1/day", provenance="test")
    k2 = m.parameter("k2", 3.0, "1/day", provenance="test")
    x, y = m.state("x", "nM", total), m.state("y", "nM", 0.0)
    m.flow(x, y, k1 * x)
    m.flow(y, x, k2 * y)
    return fl.Model("iso", [m])


def test_steady_states_are_in_the_class_the_parameters_start_in():
    found = fl.analysis.steady_states(_isomerisation(), params={"T": 4.0})
    (state,) = found.states
    np.testing.assert_allclose(state.values, [3.0, 1.0], rtol=1e-8)
    (law,) = found.conservation
    assert law.total == pytest.approx(4.0)


def test_a_scan_of_the_parameter_an_initial_value_uses_moves_the_conserved_total():
    """Scanning T moves x(0) = T and with it the class x + y = T: x* = 0.75 T along the
    branch (with x(0) fixed by initial=, the class and x* = 1.5 stay put)."""
    values = np.linspace(1.0, 5.0, 9)
    (branch,) = fl.analysis.scan(_isomerisation(), "T", values, cycles=False).branches
    np.testing.assert_allclose(branch.values[:, 0], 0.75 * branch.parameter, rtol=1e-8)
    np.testing.assert_allclose(branch.values.sum(axis=1), branch.parameter, rtol=1e-8)
    assert branch.ends == ("end of range", "end of range")
    assert (branch.parameter.min(), branch.parameter.max()) == (1.0, 5.0)
    fixed = fl.analysis.scan(_isomerisation(), "T", values, initial={"x": 2.0}, cycles=False)
    np.testing.assert_allclose(fixed.branches[0].values[:, 0], 1.5, rtol=1e-8)


_RATE_OF = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="rate_of" timeUnits="second">
  <listOfParameters>
   <parameter id="k" value="2" constant="true"/>
   <parameter id="y" value="0" constant="false"/><parameter id="x" constant="false"/>
  </listOfParameters>
  <listOfInitialAssignments>
   <initialAssignment symbol="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><csymbol encoding="text"
     definitionURL="http://www.sbml.org/sbml/symbols/rateOf">rateOf</csymbol><ci>y</ci>
    </apply></math></initialAssignment>
  </listOfInitialAssignments>
  <listOfRules>
   <rateRule variable="y"><math xmlns="http://www.w3.org/1998/Math/MathML"><ci>k</ci>
   </math></rateRule>
   <rateRule variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><minus/><ci>x</ci></apply></math></rateRule>
  </listOfRules>
 </model>
</sbml>"""


def test_an_initial_assignment_that_uses_rate_of_follows_the_parameters():
    """x(0) = rateOf(y) = k, then x' = -x: x(1) = k / e for each swept k."""
    pytest.importorskip("libsbml")
    model = fl.sbml.load(_RATE_OF)
    assert model.initial_expressions["x"].free_symbols == {sp.Symbol("k", real=True)}
    result = fl.sweep(
        model, {"k": [0.5, 2.0, 7.0]}, fl.readouts.ValueAt("x", 1.0), days=1.0, rtol=1e-10
    )
    np.testing.assert_allclose(result["value:x"], np.array([0.5, 2.0, 7.0]) / np.e, rtol=1e-7)


_CHAIN = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
 <model id="chain" timeUnits="second">
  <listOfCompartments>
   <compartment id="c" constant="true" spatialDimensions="3"/>
  </listOfCompartments>
  <listOfSpecies>
   <species id="x" compartment="c" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
   <species id="y" compartment="c" hasOnlySubstanceUnits="false"
            boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters>
   <parameter id="a" value="2" constant="true"/><parameter id="b" value="3" constant="true"/>
   <parameter id="k" value="0.5" constant="true"/><parameter id="vol" value="1.5"
   constant="true"/><parameter id="k2" constant="true"/>
  </listOfParameters>
  <listOfInitialAssignments>
   <initialAssignment symbol="y"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><cn>2</cn><ci>x</ci></apply></math></initialAssignment>
   <initialAssignment symbol="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><ci>a</ci><ci>b</ci></apply></math></initialAssignment>
   <initialAssignment symbol="c"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <ci>vol</ci></math></initialAssignment>
   <initialAssignment symbol="k2"><math xmlns="http://www.w3.org/1998/Math/MathML">
    <apply><times/><cn>2</cn><ci>k</ci></apply></math></initialAssignment>
  </listOfInitialAssignments>
  <listOfReactions>
   <reaction id="r" reversible="false">
    <listOfReactants><speciesReference species="x" stoichiometry="1" constant="true"/>
    </listOfReactants>
    <listOfProducts><speciesReference species="y" stoichiometry="1" constant="true"/>
    </listOfProducts>
    <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
     <apply><times/><ci>k2</ci><ci>x</ci><ci>c</ci></apply></math></kineticLaw>
   </reaction>
  </listOfReactions>
 </model>
</sbml>"""


def _chain_closed(a, k, vol, t, b=3.0):
    """Amounts of x and y: x(0) = a b vol, y(0) = 2 x(0) (concentrations a b and 2 a b in
    a compartment of size vol), x -> y at rate 2 k x."""
    x0 = a * b * vol
    return x0 * np.exp(-2 * k * t), x0 * (3.0 - np.exp(-2 * k * t))


def test_initial_assignments_in_a_chain_follow_every_parameter_of_a_sweep():
    """y(0) = 2 x(0), x(0) = a b (a concentration), c = vol and k2 = 2 k: each initial
    assignment is an expression of a, b, vol or k after substitution, whatever the order of
    the document, and a sweep over a, k and vol moves all of them."""
    pytest.importorskip("libsbml")
    model = fl.sbml.load(_CHAIN)
    assert set(model.initial_expressions) == {"x", "y"}
    assert {"c", "k2"} <= set(model.observable_names)
    assert not {"c", "k2"} & set(model.parameter_names)
    design = fl.latin_hypercube({"a": (1.0, 4.0), "k": (0.1, 1.0), "vol": (0.5, 2.0)}, 6, seed=3)
    readouts = {"x": fl.readouts.ValueAt("x", 1.5), "y": fl.readouts.ValueAt("y", 1.5)}
    result = fl.sweep(model, design, readouts, t_span=(0.0, 2.0), rtol=1e-10)
    a, k, vol = (np.array(design.values)[:, i] for i in range(3))
    x, y = _chain_closed(a, k, vol, 1.5)
    np.testing.assert_allclose(result["x"], x, rtol=1e-7)
    np.testing.assert_allclose(result["y"], y, rtol=1e-7)


def test_libroadrunner_reset_with_its_init_values_agrees_on_a_sweep():
    """libRoadRunner re-evaluates every initial assignment from the parameters' init(...)
    values when ``resetAll()`` resets them (setting their current values before the
    default ``reset()`` instead recomputes x and y from them but leaves c and k2 at their
    first values: a different model). The sweep of follicle and that loop agree member
    by member, and both agree with the closed form."""
    roadrunner = pytest.importorskip("roadrunner")
    model = fl.sbml.load(_CHAIN)
    rr = roadrunner.RoadRunner(_CHAIN)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    design = fl.latin_hypercube({"a": (1.0, 4.0), "k": (0.1, 1.0), "vol": (0.5, 2.0)}, 5, seed=4)
    readouts = {n: fl.readouts.ValueAt(n, 1.5) for n in ("x", "y", "k2", "c")}
    ours = fl.sweep(model, design, readouts, t_span=(0.0, 2.0), rtol=1e-10)
    for m, row in enumerate(np.array(design.values)):
        for name, value in zip(design.names, row, strict=True):
            rr.setValue(f"init({name})", float(value))
        rr.resetAll()
        peer = rr.simulate(0.0, 1.5, 2, selections=["x", "y", "k2", "c"])[-1]
        np.testing.assert_allclose([ours[n][m] for n in ("x", "y", "k2", "c")], peer, rtol=1e-7)
        np.testing.assert_allclose(peer[:2], _chain_closed(*row, 1.5), rtol=1e-7)


def test_initial_assignments_that_depend_on_each_other_in_a_cycle_are_refused():
    """c = y, y = 2 x and x = a c have no order to evaluate in (SBML forbids such
    cycles): refused with the cycle named."""
    pytest.importorskip("libsbml")
    cyclic = _CHAIN.replace("<ci>vol</ci>", "<ci>y</ci>").replace(
        "<apply><times/><ci>a</ci><ci>b</ci></apply>",
        "<apply><times/><ci>a</ci><ci>c</ci></apply>",
    )
    with pytest.raises(fl.errors.SBMLImportError, match="in a cycle: c -> y -> x -> c"):
        fl.sbml.load(cyclic)
