"""Readouts of the coupled model for global sensitivity analysis, and the parameters varied.

Each readout takes ``{parameter: value}`` and returns a number, as
:func:`follicle.sensitivity.sobol` needs:

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
from dataclasses import replace

from follicle.models.scenarios import scenario

from follicle.readouts import time_average
from follicle.schedule import ParameterStep
from follicle.simulate import Threshold

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

#: The first anagen onset (half the patch in anagen); the run stops there.
_ONSET = Threshold("anagen", 0.5, "up", terminal=True, label="onset")
#: Window of the fur readout (days): from a week after the course starts to the end.
_FUR_WINDOW = (35.0, 120.0)


def _first_onset(experiment, params) -> float:
    """First anagen onset, censored at the end of the experiment if there is none."""
    times = experiment.run(params=params, events=[_ONSET]).event_times("onset")
    return times[0] if times else experiment.days


def onset_delay(params: Mapping[str, float]) -> float:
    """Delay (days) of the first anagen onset under the WNT inhibitor, against untreated.

    A run without an onset within the scenario's 80 days counts as an onset at day 80
    (censored): a patch whose first wave fails to activate the stem cells (at weak WNT,
    for example) would otherwise have no delay to report.
    """
    experiment = scenario("macrophage_wnt_inhibition")
    return _first_onset(experiment, params) - _first_onset(experiment.control(), params)


def fur_recovery(params: Mapping[str, float]) -> float:
    """Mean fur density (days 35-120) with the senolytic course minus without it.

    Both runs have the same three weeks of senescence induction; fur density is relative
    to a healthy young coat.
    """
    experiment = scenario("abt737_after_induction")
    induction = [e for e in experiment.schedule if isinstance(e, ParameterStep)]
    start, stop = _FUR_WINDOW
    treated = experiment.run(params=params)
    induced = replace(experiment, schedule=induction).run(params=params)
    return time_average(treated, "fur_density", start=start, stop=stop) - time_average(
        induced, "fur_density", start=start, stop=stop
    )


#: Each readout by name, with the parameters varied for it.
READOUTS = {
    "onset_delay": (onset_delay, WNT_DELAY_PARAMETERS),
    "fur_recovery": (fur_recovery, FUR_RECOVERY_PARAMETERS),
}
