"""Literature summary targets of the coupled model, and an objective that scores against them.

``targets.toml`` (beside this module) lists summary numbers with an uncertainty: phase
durations, senescent-cell half-lives in young and old skin, the onset shift after induced
macrophage apoptosis, retention of senescent cells after induction and restoration of fur
after a senolytic. Each entry says whether its number is in the project's science brief
(``source = "brief"``) or is a modelling assumption that turns a qualitative statement into
a number (``source = "assumption"``), and its provenance.

A target :math:`k` with model readout :math:`y_k(p)`, value :math:`v_k` and uncertainty
:math:`s_k` has the residual

.. math::

    r_k = \\frac{y_k - v_k}{s_k} \\quad (\\text{linear}), \\qquad
    r_k = \\frac{\\ln y_k - \\ln v_k}{s_k} \\quad (\\text{log}),

and :class:`TargetProblem` minimises :math:`\\tfrac12\\sum r_k^2` over log parameters like
:class:`~follicle.fitting.Problem`, so :func:`~follicle.fitting.estimate` and
:func:`~follicle.fitting.profile.profile` work on it unchanged.

**Gradients are finite differences here, on purpose.** The readouts are event times and
window averages of whole simulations (an anagen onset is where the anagen fraction crosses
one half), not values at fixed times, so the forward sensitivities do not give them
directly. Every point of a Jacobian (the set and its shifted copies) runs as one ensemble
(:func:`follicle.simulate_ensemble`). Crossing times are read from the ensemble's dense
output (on the fly, or between 0.1-day outputs) and are smooth in the parameters to the
integration tolerance (about ``rtol`` times the time, ~1e-4 day at ``rtol = 1e-6``). A
forward difference of step ``1e-2`` in :math:`\\ln p` moves a phase duration by about a
tenth of a day, so its error from that jitter is ~1e-3 of the derivative, ample for the
trust-region steps, at a fraction of the cost of tighter simulations. A readout
that does not occur (no second anagen in the window) gives the residual
:data:`MISSING`, so the optimiser is pushed away rather than crashing.

>>> from follicle.fitting import targets
>>> table = targets.load()
>>> table["telogen_duration"].source
'brief'
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from follicle.ensemble import simulate_ensemble
from follicle.errors import DataError
from follicle.fitting.objective import LogParameters
from follicle.models.coupled import coupled
from follicle.models.readouts import anagen_onset
from follicle.models.scenarios import scenario
from follicle.models.senescence import lived_burden, removal_half_life
from follicle.readouts import TimeAverage, crossing_times

__all__ = ["EXPERIMENTS", "MISSING", "Target", "TargetProblem", "load", "score"]

#: Residual given to a readout the simulation does not produce (e.g. no second onset).
MISSING = 30.0
_FIELDS = {"readout", "value", "sd", "scale", "unit", "source", "provenance"}
#: Young and old ages (years) of the half-life targets: 3 and 24 months.
_YOUNG, _OLD = 0.25, 2.0


@dataclass(frozen=True)
class Target:
    """One literature summary number with its uncertainty and provenance."""

    name: str
    readout: str
    value: float
    sd: float
    scale: str
    unit: str
    source: str
    provenance: str

    def residual(self, y: float) -> float:
        """:math:`(y - v)/s` or :math:`(\\ln y - \\ln v)/s`; :data:`MISSING` if undefined."""
        if not math.isfinite(y) or (self.scale == "log" and y <= 0):
            return MISSING
        if self.scale == "log":
            return (math.log(y) - math.log(self.value)) / self.sd
        return (y - self.value) / self.sd


# -- readouts: experiment name -> function(model, [params, ...], rtol) -> [{readout: value}]
# Every experiment runs all the parameter sets it is given as one ensemble
# (:func:`follicle.simulate_ensemble`): a Jacobian's finite-difference points, or the two
# arms of a treated/control comparison, integrate side by side.

#: Output step (days) of the trajectories whose crossings give phase durations: the linear
#: interpolation between outputs of the ensemble's dense output errs by far less than a
#: finite-difference step moves a duration (about a tenth of a day).
_GRID = 0.1


def _ensemble(model, sets, rtol, days, *, schedules=None, readouts=None, grid=None):
    t_eval = None if grid is None else np.linspace(0.0, days, math.ceil(days / grid) + 1)
    return simulate_ensemble(
        model,
        days=days,
        params=list(sets),
        schedules=schedules,
        readouts=readouts,
        t_eval=t_eval,
        rtol=rtol,
    )


def _durations(run) -> dict[str, float]:
    """Phase durations of a run's first full cycle after day 0.

    Anagen lasts from onset (anagen fraction up through 1/2) to its end (down through
    1/2); catagen from there until telogen reaches 1/2; telogen from then to the next
    onset.
    """
    on = crossing_times(run, "anagen", 0.5, direction="up")
    off = crossing_times(run, "anagen", 0.5, direction="down")
    tel = crossing_times(run, "telogen", 0.5, direction="up")
    out = dict(anagen=math.nan, catagen=math.nan, telogen=math.nan)
    if on.size:
        off, tel = off[off > on[0]], tel[tel > on[0]]
        if off.size:
            out["anagen"] = off[0] - on[0]
            tel = tel[tel > off[0]]
            if tel.size:
                out["catagen"] = tel[0] - off[0]
                later = on[on > tel[0]]
                if later.size:
                    out["telogen"] = later[0] - tel[0]
    return out


def _cycle(model, sets, rtol):
    """Phase durations of the untreated cycle (see :func:`_durations`)."""

    def span(params):
        tau = {
            n: params.get(n, model.parameters[n].value)
            for n in ("tau_refractory", "tau_competent", "tau_anagen", "tau_catagen")
        }
        # through the second onset: two telogens, one anagen and catagen, and room for
        # the activation lags
        return (
            2 * (tau["tau_refractory"] + tau["tau_competent"])
            + tau["tau_anagen"]
            + tau["tau_catagen"]
            + 30
        )

    ens = _ensemble(model, sets, rtol, max(span(p) for p in sets), grid=_GRID)
    return [_durations(ens.member(i)) for i in range(len(sets))]


def _turnover(model, sets, rtol):
    """Removal half-life of a senescent cell, :math:`\\ln 2\\,(\\kappa + X)/\\beta`, at the
    burden a mouse has lived to in young (3 months) and old (24 months) skin
    (:func:`~follicle.models.senescence.lived_burden`)."""
    out = []
    for params in sets:
        eta, beta, kappa = (
            params.get(n, model.parameters[n].value) for n in ("eta_sen", "beta_sen", "kappa_sen")
        )
        out.append(
            {
                key: float(removal_half_life(lived_burden(age, eta, beta, kappa), beta, kappa))
                for key, age in (("half_life_young", _YOUNG), ("half_life_old", _OLD))
            }
        )
    return out


def _paired(model, sets, rtol, name, readouts):
    """Scenario ``name`` and its control for every set, as one ensemble."""
    s = scenario(name)
    pairs = [{**s.params, **p} for p in sets for _ in (0, 1)]
    schedules = [list(s.schedule), []] * len(sets)
    ens = _ensemble(model, pairs, rtol, s.days, schedules=schedules, readouts=readouts)
    return ens.readouts


def _apoptosis(model, sets, rtol):
    """First anagen onset with macrophage apoptosis induced in early telogen, minus the
    untreated onset (scenario ``early_telogen_macrophage_apoptosis``)."""
    on = np.asarray(
        _paired(model, sets, rtol, "early_telogen_macrophage_apoptosis", {"on": anagen_onset})[
            "on"
        ]
    )
    return [{"onset_shift": float(a - b)} for a, b in on.reshape(-1, 2)]


def _induction(model, sets, rtol):
    """Days after senescence induction stops (day 21) until the burden's excess over its
    pre-induction level halves (scenario ``epidermal_senescence_induction``)."""
    s = scenario("epidermal_senescence_induction")
    ens = _ensemble(model, sets, rtol, s.days, schedules=[list(s.schedule)] * len(sets), grid=0.1)
    out = []
    stop = 21.0
    for i in range(len(sets)):
        run = ens.member(i)
        x, t = run["senescent_burden"], run.t
        base, peak = x[0], float(np.interp(stop, t, x))
        after = (t > stop) & (x - base < 0.5 * (peak - base))
        out.append({"retention": float(t[after][0] - stop) if after.any() else math.inf})
    return out


def _senolytic(model, sets, rtol):
    """Mean fur density 8-12 weeks after the senolytic course (days 90-120 of scenario
    ``abt737_after_induction``) relative to untreated skin in the same window."""
    fur = _paired(
        model,
        sets,
        rtol,
        "abt737_after_induction",
        {"fur": TimeAverage("fur_density", start=90, stop=120)},
    )
    fur = np.asarray(fur["fur"]).reshape(-1, 2)
    return [{"fur_restored": float(a / b)} for a, b in fur]


#: Experiments by name: (function of (model, params, rtol) -> readouts, readout names).
EXPERIMENTS: dict[str, tuple[Callable, tuple[str, ...]]] = {
    "cycle": (_cycle, ("anagen", "catagen", "telogen")),
    "turnover": (_turnover, ("half_life_young", "half_life_old")),
    "apoptosis": (_apoptosis, ("onset_shift",)),
    "induction": (_induction, ("retention",)),
    "senolytic": (_senolytic, ("fur_restored",)),
}


def load(path=None) -> dict[str, Target]:
    """The target table (default: the shipped ``targets.toml``), validated.

    Raises
    ------
    DataError
        A missing field, an unknown readout, a non-positive value or sd where they must be
        positive, an unknown scale or source.
    """
    if path is None:
        text = resources.files("follicle.fitting").joinpath("targets.toml").read_text()
        where = "targets.toml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise DataError(f"{where}: cannot read the target table ({reason})") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{where}: not valid TOML ({exc}); see docs/fitting.md") from None
    out = {}
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise DataError(f"{where}: {name!r} must be a table [{name}] of fields")
        missing = _FIELDS - set(entry)
        if missing:
            raise DataError(f"{where}: target {name!r} lacks {sorted(missing)}")
        experiment, _, key = entry["readout"].partition(".")
        if key not in EXPERIMENTS.get(experiment, (None, ()))[1]:
            known = [f"{e}.{k}" for e, (_, keys) in EXPERIMENTS.items() for k in keys]
            raise DataError(
                f"{where}: target {name!r} has unknown readout "
                f"{entry['readout']!r}; readouts: {', '.join(known)}"
            )
        if entry["scale"] not in ("linear", "log"):
            raise DataError(
                f"{where}: target {name!r}: scale {entry['scale']!r} must be 'linear' or 'log'"
            )
        if entry["source"] not in ("brief", "assumption"):
            raise DataError(
                f"{where}: target {name!r}: source {entry['source']!r} must be "
                "'brief' or 'assumption'"
            )
        if not entry["sd"] > 0 or (entry["scale"] == "log" and not entry["value"] > 0):
            raise DataError(
                f"{where}: target {name!r}: sd must be > 0 (and the value > 0 "
                f"on the log scale); got value {entry['value']}, sd {entry['sd']}"
            )
        out[name] = Target(
            name,
            entry["readout"],
            float(entry["value"]),
            float(entry["sd"]),
            entry["scale"],
            entry["unit"],
            entry["source"],
            entry["provenance"],
        )
    return out


def _readouts(model, targets, sets, rtol) -> list[dict[str, float]]:
    """Every target's readout for each parameter set in ``sets`` (one ensemble per
    experiment)."""
    needed = sorted({t.readout.partition(".")[0] for t in targets})
    values = [{} for _ in sets]
    for experiment in needed:
        for out, found in zip(values, EXPERIMENTS[experiment][0](model, sets, rtol), strict=True):
            out.update({f"{experiment}.{key}": float(v) for key, v in found.items()})
    return values


def score(
    targets: Mapping[str, Target] | Sequence[Target],
    params: Mapping | None = None,
    *,
    model=None,
    rtol: float = 1e-8,
) -> dict[str, tuple[float, float]]:
    """Readout and residual of every target for a parameter set (default: the defaults).

    Returns
    -------
    dict of str to (readout, residual)
    """
    targets = list(targets.values()) if isinstance(targets, Mapping) else list(targets)
    model = model or coupled()
    (values,) = _readouts(model, targets, [dict(params or {})], rtol)
    return {t.name: (values[t.readout], t.residual(values[t.readout])) for t in targets}


class TargetProblem(LogParameters):
    """Fit parameters of the coupled model to summary targets (see the module notes).

    Parameters
    ----------
    targets : mapping or sequence of Target
    parameters : sequence of str
        Parameters to estimate (log space).
    model : Model, optional
        Default: :func:`follicle.models.coupled`.
    bounds : mapping, optional
        As for :class:`~follicle.fitting.Problem`.
    rtol : float
        Integration tolerance of the readout simulations.
    step : float
        Forward-difference step in :math:`\\ln p`.
    """

    def __init__(
        self,
        targets,
        parameters: Sequence[str],
        *,
        model=None,
        bounds: Mapping | None = None,
        rtol: float = 1e-6,
        step: float = 1e-2,
    ):
        super().__init__(model or coupled(), parameters, bounds)
        self.targets = list(targets.values()) if isinstance(targets, Mapping) else list(targets)
        if not self.targets:
            raise DataError("give at least one target")
        self.rtol, self.step = rtol, step

    def _residuals(self, thetas) -> np.ndarray:
        """Residuals (one row per point of ``thetas``), all points as one ensemble."""
        sets = [self.values(theta) for theta in thetas]
        found = _readouts(self.model, self.targets, sets, self.rtol)
        return np.array([[t.residual(v[t.readout]) for t in self.targets] for v in found])

    def _steps(self, theta) -> np.ndarray:
        # step inwards at the upper bound, so the trial stays inside the box
        return np.where(theta + self.step <= self.upper, self.step, -self.step)

    def _evaluate(self, theta):
        return self.evaluate_many([theta])[0]

    def evaluate_many(self, thetas):
        """Residuals and forward-difference Jacobians at every point of ``thetas``, all
        points and their difference steps integrated as one ensemble."""
        thetas = [np.asarray(theta, dtype=float) for theta in thetas]
        steps = [self._steps(theta) for theta in thetas]
        points = [
            q
            for theta, h in zip(thetas, steps, strict=True)
            for q in (
                theta,
                *(theta + hj * e for hj, e in zip(h, np.eye(theta.size), strict=True)),
            )
        ]
        rows = self._residuals(points).reshape(len(thetas), -1, len(self.targets))
        return [(r[0], ((r[1:] - r[0]) / h[:, None]).T) for r, h in zip(rows, steps, strict=True)]

    def __repr__(self) -> str:
        return f"<TargetProblem: {len(self.parameters)} parameters, {len(self.targets)} targets>"
