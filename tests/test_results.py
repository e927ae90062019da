"""A modeller's day with results: plots, xarray and netCDF, notebook summaries, units on
sweep axes (issue 18)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

import follicle as fl
from follicle.readouts import CrossingTime, ValueAt

matplotlib.use("Agg")
xr = pytest.importorskip("xarray")

PROV = "assumed: test model"


def _production(k: float = 0.5) -> fl.Model:
    """``X' = -k X`` (nM), ``Y' = k X`` (nM), ``Z' = tick`` (dimensionless): two units."""
    m = fl.Module("transfer")
    x = m.state("X", unit="nM", initial=1.0)
    y = m.state("Y", unit="nM", initial=0.0)
    z = m.state("Z", unit="1", initial=0.0)
    rate = m.parameter("k", k, "1/day", bounds=(0, 100), provenance=PROV)
    m.rate(x, -rate * x, label="loss")
    m.rate(y, rate * x, label="gain")
    tick = m.parameter("tick", 1.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(z, tick, label="clock")
    return fl.Model("transfer", [m])


@pytest.fixture(scope="module")
def model():
    return _production()


@pytest.fixture(scope="module")
def run(model):
    # with readouts computed on the fly, one of them never observed (nan)
    readouts = {"at": ValueAt("X", 1.0), "never": CrossingTime("X", 1e9)}
    return fl.simulate(model, days=4, schedule=[fl.Bolus("X", 0.5, 2.0)], readouts=readouts)


def _close(fig_or_ax):
    import matplotlib.pyplot as plt

    plt.close(getattr(fig_or_ax, "figure", fig_or_ax))


# -- Trajectory.plot ------------------------------------------------------------------------
def test_trajectory_plot_draws_each_name_with_its_values_and_unit(run):
    ax = run.plot("X", "Y")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["X", "Y"]
    np.testing.assert_array_equal(lines[0].get_xdata(), run.t)
    np.testing.assert_array_equal(lines[1].get_ydata(), run["Y"])
    assert ax.get_ylabel() == "value [nM]"
    assert ax.get_xlabel() == "time [day]"
    _close(ax)


def test_trajectory_plot_puts_each_unit_on_its_own_panel(run):
    axes = run.plot("X", "Z")
    assert len(axes) == 2
    assert axes[0].get_ylabel() == "X [nM]"
    assert axes[1].get_ylabel() == "Z"  # dimensionless: no unit shown
    np.testing.assert_array_equal(axes[1].get_lines()[0].get_ydata(), run["Z"])
    _close(axes[0])


def test_trajectory_plot_refuses_two_units_on_one_given_axes(run):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    with pytest.raises(fl.FollicleError, match="units"):
        run.plot("X", "Z", ax=ax)
    with pytest.raises(fl.errors.UnknownNameError, match="'Q'"):
        run.plot("Q", ax=ax)
    plt.close(fig)


# -- sweeps: units on axes, plots -----------------------------------------------------------
def test_sweep_axes_accept_units_and_convert_to_the_parameter_unit(model):
    result = fl.sweep(model, {"k": ["12 1/day", "1 1/hour"]}, ValueAt("X", 1.0), days=2)
    np.testing.assert_allclose(result.design.values[:, 0], [12.0, 24.0])
    assert result.axis_unit("k") == "1/day"
    plain = fl.sweep(model, {"k": [12.0, 24.0]}, ValueAt("X", 1.0), days=2)
    np.testing.assert_allclose(result["value:X"], plain["value:X"])


def test_sample_ranges_accept_units(model):
    design = fl.latin_hypercube({"k": ("10 1/day", "60 1/day")}, 8, seed=1)
    assert design.units == ("1 / day",)
    assert np.all((design.values >= 10) & (design.values <= 60))
    hourly = fl.latin_hypercube({"k": (fl.units.Q_(10 / 24, "1/hour"), "60 1/day")}, 8, seed=1)
    result = fl.sweep(model, hourly, ValueAt("X", 1.0), days=2)
    np.testing.assert_allclose(result.design.values, design.values, rtol=1e-12)


@pytest.mark.parametrize(
    "axes, match",
    [
        ({"k": ["2 nM"]}, r"sweep axis 'k': 2(\.0)? nM has dimension .* expected unit is 1/d"),
        ({"k": [1.0, "2 1/day"]}, "mix bare numbers and quantities"),
        ({"X": ["1 day"]}, "sweep axis 'X'"),
    ],
)
def test_sweep_axis_in_a_wrong_unit_is_a_clear_error(model, axes, match):
    with pytest.raises(fl.errors.UnitError, match=match):
        fl.sweep(model, axes, ValueAt("X", 1.0), days=2)


def test_sweep_plot_one_axis_is_the_readout_against_the_axis(model):
    result = fl.sweep(model, {"k": [0.5, 1.0, 2.0]}, {"final": ValueAt("Y", 2.0)}, days=2)
    ax = result.plot()
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [0.5, 1.0, 2.0])
    np.testing.assert_allclose(
        line.get_ydata(), 1 - np.exp(-2 * np.array([0.5, 1.0, 2.0])), rtol=1e-4
    )
    assert line.get_label() == "final"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("k [1/day]", "final [nM]")
    _close(ax)


def test_sweep_plot_two_axes_is_a_heat_map_with_units(model):
    result = fl.sweep(
        model,
        {"k": [0.5, 1.0, 2.0], "X": ["1 nM", "2000 pM"]},
        {"onset": CrossingTime("Y", 0.5)},
        days=3,
    )
    ax = result.plot()
    mesh = ax.collections[0]
    np.testing.assert_array_equal(mesh.get_array().reshape(3, 2).filled(np.nan), result["onset"])
    assert ax.get_xlabel() == "X [nM]"
    assert ax.get_ylabel() == "k [1/day]"
    assert ax.figure.axes[-1].get_ylabel() == "onset [day]"  # the colour bar
    _close(ax)


def test_sweep_plot_needs_a_readout_name_when_there_are_several(model):
    result = fl.sweep(model, {"k": [1.0]}, {"a": ValueAt("X", 1), "b": ValueAt("Y", 1)}, days=2)
    with pytest.raises(fl.FollicleError, match="name one"):
        result.plot()


# -- xarray and netCDF ----------------------------------------------------------------------
def test_trajectory_round_trips_through_netcdf(run, tmp_path):
    path = tmp_path / "run.nc"
    run.to_xarray().to_netcdf(path)
    with xr.open_dataset(path) as dataset:
        back = fl.Trajectory.from_xarray(dataset)
    np.testing.assert_array_equal(back.t, run.t)
    np.testing.assert_array_equal(back.values, run.values)
    for field in (
        "names",
        "units",
        "n_states",
        "parameters",
        "parameter_units",
        "schedule",
        "events",
        "stats",
        "model_name",
    ):
        assert getattr(back, field) == getattr(run, field), field
    assert back.readout("at") == run.readout("at") and math.isnan(back.readout("never"))


def test_trajectory_dataset_has_time_dimension_and_units(run):
    dataset = run.to_xarray()
    assert dataset["Y"].dims == ("t",)
    assert dataset["Y"].attrs["units"] == "nM"
    assert dataset["t"].attrs["units"] == "day"
    np.testing.assert_array_equal(dataset["X"].values, run["X"])


def test_from_xarray_refuses_a_foreign_dataset():
    with pytest.raises(fl.errors.DataError, match=r"Trajectory\.to_xarray"):
        fl.Trajectory.from_xarray(xr.Dataset({"X": ("t", [1.0])}))


def test_sweep_to_xarray_grid_dims_are_the_axes(model, tmp_path):
    result = fl.sweep(model, {"k": [0.5, 1.0, 2.0], "X": [1.0, 2.0]}, ValueAt("X", 1.0), days=2)
    dataset = result.to_xarray()
    assert dataset["value:X"].dims == ("k", "X")
    np.testing.assert_array_equal(dataset["k"].values, [0.5, 1.0, 2.0])
    assert dataset["k"].attrs["units"] == "1/day"
    assert dataset["value:X"].attrs["units"] == "nM"
    np.testing.assert_array_equal(dataset["value:X"].values, result["value:X"])
    dataset.to_netcdf(tmp_path / "sweep.nc")
    with xr.open_dataset(tmp_path / "sweep.nc") as saved:
        np.testing.assert_array_equal(saved["value:X"].values, result["value:X"])
    sample = fl.sweep(
        model, fl.latin_hypercube({"k": (1, 2)}, 4, seed=0), ValueAt("X", 1), days=2
    ).to_xarray()
    assert sample["value:X"].dims == ("member",)
    assert sample["k"].dims == ("member",)


def test_ensemble_to_xarray(model):
    ensemble = fl.simulate_ensemble(model, days=2, params={"k": [0.5, 1.0]})
    dataset = ensemble.to_xarray()
    assert dataset["X"].dims == ("member", "t")
    assert dataset["X"].attrs["units"] == "nM"
    np.testing.assert_array_equal(dataset["parameters"].sel(parameter="k").values, [0.5, 1.0])
    assert list(dataset["parameter_unit"].values) == ["1/day", "1/day"]


# -- notebook summaries, pandas -------------------------------------------------------------
def test_html_summaries_name_units_and_values(model, run):
    assert "Model &#x27;transfer&#x27;: 3 states" in model._repr_html_()
    html = run._repr_html_()
    assert "0 to 4 day" in html and "<td style='text-align:left'>nM</td>" in html
    assert "readouts (on the fly)" in html and f"{run.readout('at'):.6g}" in html
    result = fl.sweep(model, {"k": [0.5, 1.0]}, ValueAt("X", 1.0), days=2)
    html = result._repr_html_()
    assert "2 members (grid); 2 ok" in html and "1/day" in html


def test_to_pandas_puts_chain_stages_after_the_biology():
    pytest.importorskip("pandas")
    m = fl.Module("chained")
    stages = [m.state(f"R{i}", unit="1", initial=1.0 if i == 1 else 0.0) for i in (1, 2)]
    w = m.state("W", unit="nM", initial=1.0)
    k = m.parameter("k", 1.0, "1/day", bounds=(0, 10), provenance=PROV)
    m.rate(stages[0], -k * stages[0], label="step 1")
    m.rate(stages[1], k * stages[0], label="step 1 in")
    m.rate(w, -k * w, label="decay")
    frame = fl.simulate(fl.Model("chained", [m]), days=1).to_pandas()
    assert list(frame.columns) == ["W", "R1", "R2"]


def test_scenario_run_takes_its_own_duration_or_the_one_given():
    base = fl.models.scenario("macrophage_wnt_inhibition")
    run = base.run(days=30)
    assert run.t[-1] == 30.0
    assert base.run(t_span=(0, 5)).t[-1] == 5.0


# -- one vocabulary -------------------------------------------------------------------------
def test_a_single_readout_is_named_as_on_the_command_line(model):
    assert fl.models.anagen_onset.column == "anagen_onset"
    result = fl.sweep(model, {"k": [1.0]}, fl.readouts.TimeAverage("X"), days=2)
    assert list(result.readouts) == ["mean:X"]
    with pytest.warns(DeprecationWarning, match="'readout' is now spelled 'mean:X'"):
        old = result["readout"]
    np.testing.assert_array_equal(old, result["mean:X"])


def test_scenario_sweep_names_doses_by_drug_and_takes_units():
    base = fl.models.scenario("macrophage_wnt_inhibition")
    table = base.sweep(
        {"wnt_inhibitor.amount": ["0 mg/kg", "0.004 g/kg"]}, fl.models.anagen_onset, days=60
    )
    assert table.design.names == ("wnt_inhibitor.amount",)
    np.testing.assert_allclose(table.design.values[:, 0], [0.0, 4.0])
    assert table.axis_unit("wnt_inhibitor.amount") == "mg/kg"
    assert table["anagen_onset"][1] > table["anagen_onset"][0]
    with pytest.warns(DeprecationWarning, match="'wnt_inhibitor.amount'"):
        old = base.sweep({"D_wnt.amount": [0.0, 4.0]}, fl.models.anagen_onset, days=60)
    assert old.design.names == ("wnt_inhibitor.amount",)
    np.testing.assert_array_equal(old["anagen_onset"], table["anagen_onset"])
    with pytest.raises(fl.errors.ScheduleError, match="gives no dose of 'senolytic'"):
        base.sweep({"senolytic.amount": [1.0]}, fl.models.anagen_onset, days=60)


def test_sweep_heat_map_sorts_axes_given_out_of_order(model):
    result = fl.sweep(model, {"k": [2.0, 0.5], "X": [2.0, 1.0]}, ValueAt("X", 1.0), days=2)
    ax = result.plot()
    shown = ax.collections[0].get_array().reshape(2, 2)
    np.testing.assert_array_equal(shown, result["value:X"][::-1, ::-1])
    _close(ax)


# -- ensembles and sweeps back from netCDF --------------------------------------------------
def _saved_and_loaded(result, path):
    result.to_xarray().to_netcdf(path)
    with xr.open_dataset(path) as dataset:
        return type(result).from_xarray(dataset.load())


def _assert_same(back, original, fields):
    """Every field equal: arrays element by element (and shape), mappings key by key."""
    for field in fields:
        a, b = getattr(back, field), getattr(original, field)
        if isinstance(b, np.ndarray):
            assert a.shape == b.shape, field
            np.testing.assert_array_equal(a, b, err_msg=field)
        elif field == "readouts":
            assert list(a) == list(b), field
            for name in b:
                np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        else:
            assert a == b, field


@pytest.mark.parametrize("keep", [True, False])
def test_ensemble_round_trips_through_netcdf(model, keep, tmp_path):
    ensemble = fl.simulate_ensemble(
        model,
        days=3,
        params={"k": [0.5, 1.0, 250.0]},  # 250/day is outside k's bounds
        schedule=[fl.Bolus("X", 2, 1.0, unit="uM")],
        readouts={"onset": CrossingTime("Y", "100 nM"), "end": ValueAt("X", 3.0)},
        t_eval=np.linspace(0, 3, 7) if keep else None,
    )
    assert list(ensemble.status) == ["ok", "ok", "invalid"] and ensemble.reason[2]
    back = _saved_and_loaded(ensemble, tmp_path / "ensemble.nc")
    _assert_same(
        back,
        ensemble,
        [
            "status",
            "reason",
            "readouts",
            "t",
            "values",
            "names",
            "units",
            "parameters",
            "parameter_names",
            "parameter_units",
            "schedules",
            "steps",
            "rejected",
            "segments",
            "rtol",
            "atol",
            "model_name",
        ],
    )
    assert back.reason[0] is None and back.reason[2] == ensemble.reason[2]
    if keep:
        np.testing.assert_array_equal(back.member(1)["Y"], ensemble.member(1)["Y"])


def test_sweep_round_trips_through_netcdf(model, tmp_path):
    grid = fl.sweep(
        model,
        {"k": ["0.5 1/day", "1 1/day", "250 1/day"], "X": ["1 nM", "2 nM"]},
        {"end": ValueAt("X", 1.0), "crossing": CrossingTime("Y", 0.5)},
        days=2,
    )
    sample = fl.sweep(
        model,
        fl.latin_hypercube({"k": ("1 1/day", "2 1/day")}, 4, seed=0),
        ValueAt("X", 1),
        days=2,
    )
    assert "invalid" in set(grid.status)
    for i, result in enumerate((grid, sample)):
        back = _saved_and_loaded(result, tmp_path / f"sweep{i}.nc")
        _assert_same(back, result, ["readouts", "status", "reason", "steps"])
        assert dict(back.readout_units) == dict(result.readout_units)
        assert (back.design.names, back.design.shape, back.design.kind, back.design.units) == (
            result.design.names,
            result.design.shape,
            result.design.kind,
            result.design.units,
        )
        np.testing.assert_array_equal(back.design.values, result.design.values)
        for name in result.readouts:
            np.testing.assert_array_equal(back[name], result[name])


@pytest.mark.parametrize("kind", [fl.Ensemble, fl.SweepResult])
def test_from_xarray_of_another_kind_of_result_is_refused(kind, run):
    with pytest.raises(fl.errors.DataError, match=rf"{kind.__name__}\.to_xarray"):
        kind.from_xarray(run.to_xarray())
