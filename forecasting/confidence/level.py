"""The confidence level (low / moderate / high) from the three measures, by stated rules.

The rules (README "Analytic confidence"), checked in this order:

**low** if any of these holds:

* fewer than :data:`MIN_ORIGINS_MODERATE` independent origins;
* one origin carries at least :data:`LOW_SHARE` of the evidence's weight;
* leaving out one origin would change the leading scenario;
* reasonable judgements (each redrawn within its band) give another leader in at least
  :data:`LOW_FLIP` of draws; or, when two or more analysts' overlays were forecast
  (:mod:`forecasting.inputs.overlays`), the analysts' leading scenarios differ or their
  probabilities of the leader span at least :data:`ANALYSTS_LOW_SPREAD`;
* a horizon of typical evidence changes the leader with probability at least :data:`LOW_FLIP`.

**high** if all of these hold:

* at least :data:`MIN_ORIGINS_HIGH` independent origins, none carrying more than
  :data:`HIGH_SHARE` of the weight;
* no single origin's absence changes the leader;
* reasonable judgements give another leader in less than :data:`HIGH_FLIP` of draws (and, with
  two or more analysts, they share the leader and their probabilities of it span less than
  :data:`ANALYSTS_HIGH_SPREAD`);
* a horizon of typical evidence changes the leader with probability below :data:`HIGH_FLIP`.

**moderate** otherwise. The level says how far the answer rests on many independent reports and
on judgements other analysts would share, and how settled it is; it says nothing about how
probable the leading scenario is (that is the probability's job, ICD 203).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_ORIGINS_MODERATE = 2
MIN_ORIGINS_HIGH = 3
LOW_SHARE = 0.75
HIGH_SHARE = 0.5
LOW_FLIP = 0.3
HIGH_FLIP = 0.1
#: With two or more analysts: a spread (largest minus smallest analyst's probability of the
#: leading scenario) at which their judgements disagree (low), and below which they agree.
ANALYSTS_LOW_SPREAD = 0.3
ANALYSTS_HIGH_SPREAD = 0.1

LEVELS = ("low", "moderate", "high")


@dataclass(frozen=True)
class Measures:
    """What the rules read."""

    origins: int
    largest_origin: str | None
    largest_share: float
    leader_changes_without: tuple[str, ...]
    p_flip_opinion: float
    p_flip_horizon: float
    horizon_days: float
    #: The analysts forecast with their overlays (none: the rules read the redrawn judgements
    #: only), each one's leading scenario (same order), and the largest minus the smallest
    #: analyst's probability of the leading scenario.
    analysts: tuple[str, ...] = ()
    analyst_leaders: tuple[str, ...] = ()
    analyst_spread: float = 0.0
    #: Those of ``leader_changes_without`` whose absence leaves the leader tied, not behind.
    leader_ties_without: tuple[str, ...] = ()

    @property
    def several_analysts(self) -> bool:
        """Whether two or more analysts' forecasts are read."""
        return len(self.analysts) >= 2

    @property
    def analysts_split(self) -> bool:
        """Whether the analysts' leading scenarios differ."""
        return self.several_analysts and len(set(self.analyst_leaders)) > 1


@dataclass(frozen=True)
class Rule:
    """One rule's verdict: its name, whether it holds, and the reason in words."""

    name: str
    holds: bool
    reason: str


def low_rules(m: Measures) -> list[Rule]:
    """The rules any one of which makes confidence low."""
    when = horizon_words(m.horizon_days)
    return [
        Rule(
            "few_origins",
            m.origins < MIN_ORIGINS_MODERATE,
            "no evidence yet" if m.origins == 0 else f"only {_origins(m.origins)}",
        ),
        Rule(
            "one_origin_dominates",
            m.origins > 0 and m.largest_share >= LOW_SHARE,
            f"one origin ({m.largest_origin}) carries {m.largest_share:.0%} of the weight",
        ),
        Rule(
            "rests_on_one_origin",
            bool(m.leader_changes_without),
            _without(m),
        ),
        _disagree(m),
        Rule(
            "unsettled",
            m.p_flip_horizon >= LOW_FLIP,
            f"{when} of typical evidence would change the leader with probability "
            f"{m.p_flip_horizon:.0%}",
        ),
    ]


def high_rules(m: Measures) -> list[Rule]:
    """The rules all of which make confidence high (each reason says how it went)."""
    when = horizon_words(m.horizon_days)
    many = m.origins >= MIN_ORIGINS_HIGH and m.largest_share <= HIGH_SHARE
    decides = not m.leader_changes_without
    agree = m.p_flip_opinion < HIGH_FLIP  # False when not computed (NaN)
    analysts_agree = not m.several_analysts or (
        not m.analysts_split and m.analyst_spread < ANALYSTS_HIGH_SPREAD
    )
    settled = m.p_flip_horizon < HIGH_FLIP
    return [
        Rule(
            "many_origins",
            many,
            f"{_origins(m.origins)}, none carrying more than {HIGH_SHARE:.0%} of the weight"
            if many
            else f"{_origins(m.origins)}"
            + (
                f", the largest ({m.largest_origin}) carrying {m.largest_share:.0%} of the weight"
                if m.origins
                else ""
            ),
        ),
        Rule(
            "no_origin_decides",
            decides,
            "no single origin's absence would change the leader" if decides else _without(m),
        ),
        Rule(
            "judgements_agree",
            agree and analysts_agree,
            (
                f"reasonable judgements put another scenario ahead in {m.p_flip_opinion:.0%} of "
                "cases"
                if m.p_flip_opinion == m.p_flip_opinion
                else "the range of reasonable opinion was too costly to compute (exact integrals "
                "of many unreliable reports)"
            )
            + (f"; {_analysts_words(m)}" if m.several_analysts else ""),
        ),
        Rule(
            "settled",
            settled,
            f"{when} of typical evidence would change the leader with probability "
            f"{m.p_flip_horizon:.0%}",
        ),
    ]


def level(m: Measures) -> tuple[str, list[Rule], dict[str, bool]]:
    """The level, the rules that decided it, and every rule's verdict (by name)."""
    low, high = low_rules(m), high_rules(m)
    verdicts = {r.name: r.holds for r in low + high}
    if any(r.holds for r in low):
        return "low", [r for r in low if r.holds], verdicts
    if all(r.holds for r in high):
        return "high", high, verdicts
    return "moderate", [r for r in high if not r.holds], verdicts


def _disagree(m: Measures) -> Rule:
    """Reasonable judgements disagree: redrawn within their bands, or the analysts' own."""
    redrawn = m.p_flip_opinion >= LOW_FLIP
    analysts = m.several_analysts and (m.analysts_split or m.analyst_spread >= ANALYSTS_LOW_SPREAD)
    opinion = f"reasonable judgements put another scenario ahead in {m.p_flip_opinion:.0%} of cases"
    if not m.several_analysts:
        reason = opinion
    elif analysts and not redrawn:
        reason = _analysts_words(m)
    else:
        reason = f"{opinion}; {_analysts_words(m)}"
    return Rule("judgements_disagree", redrawn or analysts, reason)


def _analysts_words(m: Measures) -> str:
    """The analysts' disagreement in words."""
    n = len(m.analysts)
    spread = f"{100 * m.analyst_spread:.0f} points"
    if m.analysts_split:
        leads = "; ".join(
            f"{', '.join(a for a, x in zip(m.analysts, m.analyst_leaders, strict=True) if x == s)}"
            f": {s}"
            for s in dict.fromkeys(m.analyst_leaders)
        )
        return f"the {n} analysts disagree on the leading scenario ({leads})"
    return f"the {n} analysts' probabilities of the leader span {spread}"


def _origins(n: int) -> str:
    if n == 0:
        return "no independent origin"
    return "one independent origin" if n == 1 else f"{n} independent origins"


def _without(m: Measures) -> str:
    """What leaving out each origin the leader rests on would do: another leads, or a tie."""
    names = _names(m.leader_changes_without)
    ties = set(m.leader_ties_without)
    if not ties:
        return f"without {names} another scenario would lead"
    if ties >= set(m.leader_changes_without):
        return f"without {names} the leader would be tied with another scenario"
    return f"without {names} another scenario would lead or tie with it"


def _names(names: tuple[str, ...]) -> str:
    return " or ".join(names[:3]) + (f" (or {len(names) - 3} more)" if len(names) > 3 else "")


def horizon_words(days: float) -> str:
    """``a month`` for 30 days, ``a week`` for 7, else ``45 days``."""
    if abs(days - 30) < 1e-9:
        return "a month"
    if abs(days - 7) < 1e-9:
        return "a week"
    return f"{days:g} days"
