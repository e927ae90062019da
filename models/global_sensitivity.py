"""Readouts of the coupled model for global sensitivity analysis, and the parameters varied.

Each readout takes ``{parameter: value}`` and returns a number, as
:func:`follicle.fitting.sobol_indices` needs:

* :func:`onset_delay`: days by which the macrophage-targeted WNT inhibitor of the
  ``macrophage_wnt_inhibition`` scenario delays the first anagen onset,
  :math:`t_{on}^{treated} - t_{on}^{control}` (finding F3), onsets censored at day 80;
* :func:`fur_recovery`: fur that the ABT-737-like senolytic course of the
  ``abt737_after_induction`` scenario restores, the mean fur density over days 35-120
  with the course minus that with induction alone (finding F6),
  :math:`\\bar F_{treated} - \\bar F_{induced}`.

The parameter sets are the ones each readout's mechanism runs through: macrophage wave,
WNT and stem-cell activation (and the inhibitor's own potency) for the delay; senescent
turnover, senolytic potency and window, stem-cell capacity and fur for the recovery.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from follicle.ensemble import simulate_ensemble
from follicle.errors import AnalysisError
from follicle.models.coupled import coupled
from follicle.models.readouts import anagen_onset
from follicle.models.scenarios import scenario
from follicle.readouts import TimeAverage
from follicle.schedule import ParameterStep

__all__ = [
    "FUR_RECOVERY_PARAMETERS",
    "READOUTS",
    "WNT_DELAY_PARAMETERS",
    "fur_recovery",
    "onset_delay",
]

#: Parameters varied for :func:`onset_delay`.
WNT_DELAY_PARAMETERS = (
    "tau_competent",
    "d_M_telogen",
    "k_clear",
    "p_W",
    "d_W",
    "K_W",
    "n_W",
    "k_act",
    "b_M",
    "EC50_wnt",
    "t_half_wnt",
)

#: Parameters varied for :func:`fur_recovery`.
FUR_RECOVERY_PARAMETERS = (
    "k_induction",
    "beta_sen",
    "kappa_sen",
    "k_senolytic",
    "EC50_sl",
    "t_half_sl",
    "EC50_sl_stem",
    "K_X_suppression",
    "k_P_loss",
    "g_fur",
    "k_shed",
)

#: Window of the fur readout (days): from a week after the course starts to the end.
_FUR_WINDOW = (35.0, 120.0)


def _per_member(experiment, params, readout, schedule=None) -> np.ndarray:
    """``readout`` of ``experiment`` for every member of ``params`` (scalars or arrays of
    one length), as one :func:`~follicle.simulate_ensemble` batch."""
    ens = simulate_ensemble(
        coupled(),
        days=experiment.days,
        params={**experiment.params, **params},
        initial=dict(experiment.initial),
        schedule=experiment.schedule if schedule is None else schedule,
        readouts={"readout": readout},
    )
    if not np.all(ens.status == "ok"):
        i = int(np.flatnonzero(ens.status != "ok")[0])
        point = {k: float(np.broadcast_to(v, len(ens))[i]) for k, v in params.items()}
        raise AnalysisError(
            f"the {experiment.name} run at {point} {ens.status[i]}: {ens.reason[i]}"
        )
    return ens.readouts["readout"]


def _shaped(values: np.ndarray, params: Mapping):
    """A float for a point of scalars, else the array."""
    return float(values[0]) if all(np.ndim(v) == 0 for v in params.values()) else values


def onset_delay(params: Mapping[str, float]) -> float:
    """Delay (days) of the first anagen onset under the WNT inhibitor, against untreated.

    A run without an onset within the scenario's 80 days counts as an onset at day 80
    (censored): a patch whose first wave fails to activate the stem cells (at weak WNT,
    for example) would otherwise have no delay to report. Values may be arrays of one
    length (one member each, a float array back): ``sobol(..., vectorized=True)``.
    """
    experiment = scenario("macrophage_wnt_inhibition")
    onsets = [
        np.nan_to_num(_per_member(run, params, anagen_onset), nan=run.days)
        for run in (experiment, experiment.control())
    ]
    return _shaped(onsets[0] - onsets[1], params)


def fur_recovery(params: Mapping[str, float]) -> float:
    """Mean fur density (days 35-120) with the senolytic course minus without it.

    Both runs have the same three weeks of senescence induction; fur density is relative
    to a healthy young coat. Values may be arrays, as for :func:`onset_delay`.
    """
    experiment = scenario("abt737_after_induction")
    induction = [e for e in experiment.schedule if isinstance(e, ParameterStep)]
    start, stop = _FUR_WINDOW
    fur = TimeAverage("fur_density", start=start, stop=stop)
    treated = _per_member(experiment, params, fur)
    induced = _per_member(experiment, params, fur, schedule=induction)
    return _shaped(treated - induced, params)


#: Each readout by name, with the parameters varied for it.
READOUTS = {
    "onset_delay": (onset_delay, WNT_DELAY_PARAMETERS),
    "fur_recovery": (fur_recovery, FUR_RECOVERY_PARAMETERS),
}
