"""Print the coupled model's default cycle and the reference onset shifts (issue 3 note).

Run: ``.venv/bin/python docs/scripts/cycle_numbers.py``. Phase durations are the means over
the cycles of a 400-day untreated run. Each phase starts when half the patch has entered
it: anagen at the anagen fraction's up-crossing of 1/2, catagen at its down-crossing,
telogen at the telogen fraction's up-crossing.
"""

from __future__ import annotations

import numpy as np

import follicle as fl
from follicle.models.readouts import anagen_ends, anagen_onsets, first_anagen_onset


def main() -> None:
    model = fl.models.coupled()
    run = fl.simulate(model, days=400)
    starts, stops = anagen_onsets(run), anagen_ends(run)
    n = min(len(starts), len(stops))
    anagen = stops[:n] - starts[:n]
    period = np.diff(starts)
    rests = fl.readouts.crossing_times(run, "telogen", 0.5, direction="up")
    rests = rests[rests > stops[0]][: n - 1]  # telogen entries after each anagen end
    catagen = rests - stops[: len(rests)]
    telogen = starts[1 : len(rests) + 1] - rests
    print(f"onsets: {np.round(starts, 1)}")
    print(
        f"period {period.mean():.1f} d; anagen {anagen.mean():.1f} d; "
        f"catagen {catagen.mean():.1f} d; telogen {telogen.mean():.1f} d"
    )
    untreated = first_anagen_onset(fl.simulate(model, days=80))
    for name in (
        "early_telogen_macrophage_apoptosis",
        "macrophage_wnt_inhibition",
        "anti_inflammatory",
    ):
        treated = first_anagen_onset(fl.models.scenario(name).run())
        print(
            f"{name}: first onset {treated:.1f} vs untreated {untreated:.1f} "
            f"({treated - untreated:+.1f} d)"
        )


if __name__ == "__main__":
    main()
