"""Fit the Karin saturating-removal model to the shipped synthetic ageing set and profile it.

Run from the repository root: ``nice python docs/scripts/karin_identifiability.py``. Prints
the best values, 95% profile intervals with their identifiability labels, and the Fisher
(Wald) intervals, next to the values that generated the data (set A).
``figures/fig_fitting.py`` draws the same fit and profiles.
"""

from follicle import fitting
from follicle.fitting.profile import fisher, profile
from follicle.models.zoo.karin2019 import PARAMETER_SETS

TRUTH = PARAMETER_SETS["A"]


def main():
    problem = fitting.datasets.problem("karin_ageing_synthetic", rtol=1e-7)
    fit = fitting.estimate(problem, starts=10, seed=3)
    print(fit)
    wald = fisher(problem, fit).intervals
    for name, p in profile(problem, fit, tol=1e-8).items():
        low, high = p.interval
        print(
            f"{name:6s} true {TRUTH[name]:<6g} fit {p.value:.4g}  profile [{low:.4g}, "
            f"{high:.4g}] {p.classification}  Wald [{wald[name][0]:.4g}, "
            f"{wald[name][1]:.4g}]"
        )


if __name__ == "__main__":
    main()
