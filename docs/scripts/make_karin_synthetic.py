"""Regenerate the synthetic Karin ageing data set shipped in fitting/shipped/.

Run from the repository root: ``python docs/scripts/make_karin_synthetic.py``. The numbers
are simulated from Karin et al. (2019)'s saturating-removal model with mouse parameter
set A (as quoted in the project's science brief) and log-normal noise of 10%, seed 2019.
"""

from pathlib import Path

import numpy as np

from follicle.fitting.data import Condition, synthetic, write_measurements
from follicle.fitting.datasets import KARIN_PULSES
from follicle.models.zoo.karin2019 import PARAMETER_SETS, karin2019

FOLDER = Path(__file__).resolve().parents[2] / "fitting" / "shipped"
TRUTH = {k: v for k, v in PARAMETER_SETS["A"].items() if k != "X_c"}
CONDITIONS = (
    Condition("ageing", days=720.0),
    Condition("pulse_young", days=130.0, schedule=KARIN_PULSES["pulse_young"]),
    Condition("pulse_old", days=600.0, schedule=KARIN_PULSES["pulse_old"]),
)
TIMES = {
    "ageing": np.arange(60.0, 721.0, 60.0),
    "pulse_young": 90.0 + np.array([1.0, 3.0, 7.0, 14.0, 21.0, 28.0, 40.0]),
    "pulse_old": 540.0 + np.array([1.0, 3.0, 7.0, 14.0, 21.0, 28.0, 40.0, 60.0]),
}


def main():
    data = synthetic(
        karin2019("A"),
        {"X": ("lognormal", 0.1)},
        TIMES,
        seed=2019,
        conditions=CONDITIONS,
        params=TRUTH,
    )
    write_measurements(data, FOLDER / "karin_ageing_synthetic.csv")
    rows = [
        "# synthetic: true",
        "# provenance: see karin_ageing_synthetic.csv",
        "conditionId,scenario,days",
    ]
    rows += [f"{c.id},{c.id if c.id in KARIN_PULSES else ''},{c.days:g}" for c in CONDITIONS]
    (FOLDER / "karin_ageing_conditions.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
