"""Named scenarios for the published experiments the coupled model must reproduce.

A :class:`Scenario` is a value: a schedule of interventions, parameter changes (age), a
duration and an account of which of its numbers come from a source and which are assumed.
``scenario.run()`` simulates it on the coupled model; ``scenario.control()`` is the same
skin without the interventions, for comparison.

Time zero is the start of a telogen (every follicle entering refractory telogen), so the
untreated patch becomes competent around day 19 and enters anagen around day 26
(:mod:`~follicle.models.phase`). In young skin that telogen is the mouse's second, which
starts about postnatal day 45 (Plikus et al. 2008: second telogen about P45-P70), so model
day ``d`` is postnatal day ``45 + d`` (:func:`postnatal_day`); each scenario's ``timing``
states its days both ways. No dose, delay or timing of the experiments below could be
read from a source (science brief, section 2): doses are in mg/kg on each drug's assumed
potency scale, and every timing is chosen relative to the model's own cycle.

>>> import follicle as fl
>>> run = fl.models.scenario("macrophage_wnt_inhibition").run()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from follicle.designs import Design, grid
from follicle.errors import ScheduleError, UnknownNameError
from follicle.models.coupled import coupled
from follicle.models.drugs import DRUGS
from follicle.models.interventions import course, dose, induce_senescence
from follicle.models.senescence import lived_burden
from follicle.models.stem_cells import steady_capacity
from follicle.schedule import Bolus
from follicle.simulate import simulate
from follicle.sweep import SweepResult, sweep
from follicle.trajectory import Trajectory

__all__ = ["SCENARIOS", "Scenario", "aged_skin", "postnatal_day", "scenario"]

#: Postnatal day of model day 0 in young skin: the start of the second telogen (Plikus
#: et al. 2008, Nature 451:340, second telogen about P45-P70).
SECOND_TELOGEN_START = 45


def postnatal_day(day: float) -> str:
    """Model day ``day`` of young skin as a postnatal day, e.g. ``postnatal_day(5) == "P50"``."""
    return f"P{SECOND_TELOGEN_START + day:g}"


#: Assumption shared by every scenario's doses.
_DOSES_ASSUMED = "doses (mg/kg) are on the drug's assumed potency scale; none was sourced"


@dataclass(frozen=True)
class Scenario:
    """A published experiment as a simulation of the coupled model.

    Attributes
    ----------
    name : str
        Identifier used by :func:`scenario`.
    title : str
        One line.
    description : str
        The experiment and what it is expected to show (the finding it supports).
    days : float
        Simulated duration (days from the start of a telogen).
    schedule : tuple
        Interventions (:mod:`~follicle.models.interventions` events).
    params : Mapping[str, float]
        Parameter values different from the table's defaults (e.g. age).
    initial : Mapping[str, float]
        Initial values different from the model's (e.g. aged skin's senescent burden).
    timing : str
        When it doses, in model days and in postnatal days (or age, for old skin).
    sourced : str
        Which of the scenario's numbers come from a source, and which source.
    assumed : str
        Which are assumed, and why.
    """

    name: str
    title: str
    description: str
    days: float
    schedule: tuple
    params: Mapping[str, float] = field(default_factory=dict)
    initial: Mapping[str, float] = field(default_factory=dict)
    timing: str = ""
    sourced: str = "none"
    assumed: str = _DOSES_ASSUMED

    def __post_init__(self):
        object.__setattr__(self, "schedule", tuple(self.schedule))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "initial", MappingProxyType(dict(self.initial)))

    def run(self, model=None, **options) -> Trajectory:
        """Simulate the scenario (on :func:`~follicle.models.coupled` unless ``model`` given).

        ``options`` go to :func:`follicle.simulate`; ``params`` and ``initial`` given there
        update the scenario's own, and ``days`` or ``t_span`` replace the scenario's
        duration (``scenario(name).run(days=200)``).
        """
        params = {**self.params, **options.pop("params", {})}
        initial = {**self.initial, **options.pop("initial", {})}
        if "t_span" not in options:
            options.setdefault("days", self.days)
        return simulate(
            model or coupled(),
            params=params,
            initial=initial,
            schedule=self.schedule,
            **options,
        )

    def sweep(self, axes, readout, model=None, **options) -> SweepResult:
        """A readout of the scenario over a grid or sample of axes (:func:`follicle.sweep`).

        Axes are named as on the command line: a parameter, a state (its initial value), or
        ``"<drug>.amount"`` (e.g. ``"wnt_inhibitor.amount"``) for every dose of a drug the
        scenario gives; values take units (``["0 mg/kg", "2 mg/kg"]``). The scenario's
        schedule, parameters, initial values and duration are shared by every member;
        ``options`` go to :func:`follicle.sweep` (``days`` replaces the duration).

        >>> import follicle as fl
        >>> table = fl.models.scenario("macrophage_wnt_inhibition").sweep(
        ...     {"wnt_inhibitor.amount": ["0 mg/kg", "4 mg/kg"]}, fl.models.anagen_onset)
        >>> table.design.names, table.axis_unit("wnt_inhibitor.amount")
        (('wnt_inhibitor.amount',), 'mg/kg')
        >>> table.readout_unit("anagen_onset")
        'day'

        Raises
        ------
        UnknownNameError
            An axis that names no parameter, state or drug.
        ScheduleError
            A drug axis of a drug the scenario does not dose.
        """
        design = axes if isinstance(axes, Design) else grid(axes)
        for name in design.names:
            drug, _, field = name.partition(".")
            if field == "amount" and drug in DRUGS:
                self.with_doses(drug, 0.0)  # refuses a drug the scenario does not dose
        options.setdefault("days", self.days)
        return sweep(
            model or coupled(),
            design,
            readout,
            schedule=self.schedule,
            params={**self.params, **options.pop("params", {})},
            initial={**self.initial, **options.pop("initial", {})},
            **options,
        )

    def with_doses(self, intervention: str, amount) -> Scenario:
        """The same scenario with every dose of ``intervention`` set to ``amount``.

        The times stay as they are: this is the dose axis of a dose-response.

        Parameters
        ----------
        intervention : str
            A drug the scenario doses (see :data:`~follicle.models.INTERVENTIONS`).
        amount : float, str or pint.Quantity
            The new amount of each dose; bare numbers are mg/kg.

        Raises
        ------
        UnknownNameError
            If ``intervention`` is not a drug.
        ScheduleError
            If the scenario gives no dose of it, or the amount is not a dose.
        """
        target = dose(intervention, 0, amount)
        if not any(isinstance(e, Bolus) and e.target == target.target for e in self.schedule):
            raise ScheduleError(
                f"scenario {self.name!r} gives no dose of {intervention!r}; it doses "
                f"{', '.join(self.interventions()) or 'nothing'}"
            )
        schedule = tuple(
            replace(e, amount=target.amount, unit=target.unit)
            if isinstance(e, Bolus) and e.target == target.target
            else e
            for e in self.schedule
        )
        return replace(self, schedule=schedule)

    def interventions(self) -> tuple[str, ...]:
        """Names of the drugs the scenario doses, in order of first dose."""
        by_state = {drug.state: name for name, drug in DRUGS.items()}
        return tuple(
            dict.fromkeys(
                by_state[e.target]
                for e in self.schedule
                if isinstance(e, Bolus) and e.target in by_state
            )
        )

    def control(self) -> Scenario:
        """The same skin (age, duration) without interventions."""
        return replace(self, name=f"{self.name} (control)", schedule=())


def aged_skin(age_years: float) -> dict:
    """Parameters and initial values of skin of a given age, as ``Scenario`` keywords.

    The senescent burden starts at the value a mouse has lived to at that age
    (:func:`~follicle.models.senescence.lived_burden`: Karin's saturating-removal model
    integrated from birth) and the stem cells' capacity in balance with it
    (:func:`~follicle.models.stem_cells.steady_capacity`). Any age from birth to 3 years
    is accepted; past :func:`~follicle.models.senescence.death_age` the burden has passed
    the critical level and the skin is that of a mouse Karin's model calls dead (the
    :func:`~follicle.models.readouts.death_time` of such a run is 0).
    """
    burden = lived_burden(age_years)
    return {
        "params": {"age0": age_years},
        "initial": {"X": burden, "P": steady_capacity(burden)},
    }


def _days(first: float, last: float | None = None) -> str:
    """Model days and postnatal days of young skin, e.g. ``"day 5 (P50)"``."""
    if last is None:
        return f"day {first:g} ({postnatal_day(first)})"
    return f"days {first:g}-{last:g} ({postnatal_day(first)}-{postnatal_day(last)})"


def _scenarios():
    induction = induce_senescence(start=0, stop=21)
    yield Scenario(
        "early_telogen_macrophage_apoptosis",
        "Macrophage apoptosis induced in early telogen",
        "A liposomal apoptosis inducer given in the first third of telogen, while the "
        "follicles would otherwise rest for weeks, kills perifollicular macrophages; their "
        "WNT release overcomes the fading refractory brake, activates stem cells and anagen "
        "starts early (finding F2; Castellana et al. 2014).",
        60,
        [dose("apoptosis_inducer", day=5, amount="20 mg/kg")],
        timing=f"one dose on {_days(5)}, early (refractory) telogen; untreated onset near "
        f"{_days(26)}",
        sourced="early telogen and the direction of the effect: Castellana et al. 2014 (PLoS "
        "Biol 12:e1002002); second telogen about P45-P70: Plikus et al. 2008",
        assumed=f"the day within early telogen; {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "late_telogen_macrophage_apoptosis",
        "Macrophage apoptosis induced in late (competent) telogen",
        "The same inducer three days into competent telogen: the follicles answer within "
        "days and anagen starts a little before the natural wave would start it (findings "
        "F2, F8: a stimulus in competent telogen is answered sooner).",
        60,
        [dose("apoptosis_inducer", day=21, amount="20 mg/kg")],
        timing=f"one dose on {_days(21)}, competent telogen",
        sourced="direction of the effect: Castellana et al. 2014; competent telogen: Plikus "
        "et al. 2008",
        assumed=f"the day (three days into the model's competent telogen); {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "macrophage_wnt_inhibition",
        "Macrophage-targeted WNT-production inhibitor through telogen",
        "A liposome-delivered inhibitor of WNT production in macrophages, given every "
        "second day through late telogen, delays anagen onset (finding F3; Castellana et "
        "al. 2014).",
        80,
        course("wnt_inhibitor", start=12, amount="2 mg/kg", every="2 day", times=8),
        timing=f"every second day on {_days(12, 26)}, middle telogen to the untreated onset",
        sourced="direction of the effect: Castellana et al. 2014 (PLoS Biol 12:e1002002)",
        assumed=f"schedule (every 2 days, 8 doses, from day 12); {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "anti_inflammatory",
        "Anti-inflammatory treatment through telogen",
        "Daily anti-inflammatory treatment lowers perifollicular macrophages and advances "
        "telogen exit (finding F4; Castellana et al. 2014 press coverage).",
        60,
        course("anti_inflammatory", start=18, amount="5 mg/kg", times=5),
        timing=f"daily on {_days(18, 22)}, competent telogen",
        sourced="direction of the effect: Castellana et al. 2014, as reported in the press",
        assumed=f"that it acts through macrophages; daily for 5 days in competent telogen; "
        f"{_DOSES_ASSUMED}",
    )
    yield Scenario(
        "epidermal_senescence_induction",
        "Three weeks of p14ARF-like epidermal senescence induction",
        "Induction builds a senescent burden that outlasts it by weeks, stops stem-cell "
        "proliferation, holds follicles in telogen and thins the fur; without removal of "
        "the senescent cells the stem cells do not recover over the follow-up (finding F5; "
        "Tokarsky-Amiel et al. 2013).",
        120,
        [induction],
        timing=f"induction on {_days(0, 21)}; follow-up to {_days(120)}",
        sourced="qualitative course: Tokarsky-Amiel et al. 2013 (Cancer Res)",
        assumed="three weeks of induction; its strength k_induction",
    )
    yield Scenario(
        "abt737_after_induction",
        "ABT-737-like senolytic after senescence induction",
        "A week of daily BCL-2 family inhibitor once the burden is established removes "
        "senescent cells and restores proliferation, anagen and fur (finding F6; Yosef et "
        "al. 2016).",
        120,
        [induction, *course("senolytic", start=28, amount="10 mg/kg", times=7)],
        timing=f"induction on {_days(0, 21)}; senolytic daily on {_days(28, 34)}",
        sourced="direction of the effect: Yosef et al. 2016 (Nat Commun 7:11190)",
        assumed=f"daily for a week from day 28; {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "foxo4_dri_aged",
        "FOXO4-DRI-like peptide in naturally aged skin",
        "A month of doses every other day in skin of 26-month-old mice (older than 24 "
        "months, where the burden holds follicles in telogen) lowers the burden and "
        "restores cycling and fur (findings F6-F7; Baar et al. 2017).",
        120,
        course("foxo4_dri", start=5, amount="5 mg/kg", every="2 day", times=15),
        **aged_skin(26 / 12),
        timing="day 0 is the start of a telogen at 26 months of age; doses every other day "
        "on days 5-33",
        sourced="naturally aged mice older than 24 months and the direction of the effect: "
        "Baar et al. 2017 (Cell 169:132)",
        assumed=f"age 26 months; 15 doses every other day; {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "chemotherapy_then_senolytic",
        "Chemotherapy pulse in anagen, then a senolytic",
        "A cytotoxic pulse early in anagen forces the growing follicles into catagen, sheds "
        "much of the coat and adds senescent burden; the hair returns after a telogen, more "
        "slowly the more senescence the pulse leaves, and a senolytic course from three "
        "days after the pulse speeds the return (finding F9).",
        150,
        [
            dose("chemotherapy", day=30, amount="150 mg/kg"),
            *course("senolytic", start=33, amount="5 mg/kg", times=7),
        ],
        timing=f"pulse on {_days(30)}, early anagen; senolytic daily on {_days(33, 39)}",
        sourced="chemotherapy-induced alopecia as a senolytic use: seed document 001",
        assumed=f"pulse timing (day 30, early anagen) and size; {_DOSES_ASSUMED}",
    )
    yield Scenario(
        "ageing",
        "Ageing from young to old",
        "From 3 months to 2.5 years of age the age-rising senescent production (Karin et "
        "al. 2019) slows cycling and thins the fur (finding F7); the run reports when the "
        "burden passes Karin's critical level (death in his model).",
        820,
        [],
        **aged_skin(0.25),
        timing="from 3 months (day 0) to 30 months of age (day 820)",
        sourced="senescent turnover: Karin et al. 2019 (Nat Commun 10:5495), set A",
        assumed="the start age (a young adult mouse)",
    )


#: Every scenario by name.
SCENARIOS = {s.name: s for s in _scenarios()}


def scenario(name: str) -> Scenario:
    """The scenario called ``name`` (raises :class:`UnknownNameError` with suggestions)."""
    if name not in SCENARIOS:
        raise UnknownNameError("scenario", name, SCENARIOS)
    return SCENARIOS[name]
