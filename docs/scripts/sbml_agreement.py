"""Print the largest disagreement of libRoadRunner and COPASI with follicle.simulate on
every named scenario (fraction of |value| + state scale; all solvers at rtol 1e-10).

Run from the repository root: ``.venv/bin/python docs/scripts/sbml_agreement.py``.
"""

import sys

sys.path.insert(0, "tests")

from test_sbml import cross_check

import follicle as fl

worst = {}
for name, scenario in fl.models.SCENARIOS.items():
    found = cross_check(
        fl.models.coupled(),
        scenario.schedule,
        params=dict(scenario.params),
        initial=dict(scenario.initial),
        days=scenario.days,
    )
    for peer, (error, state, day) in found.items():
        print(f"{name:38s} {peer:14s} {error:.2e} on {state} at day {day:.1f}")
        if error > worst.get(peer, (0.0,))[0]:
            worst[peer] = (error, state, day, name)
for peer, (error, state, day, name) in worst.items():
    print(f"largest vs {peer}: {error:.2e} on {state}, scenario {name}, day {day:.1f}")
