"""What changed between two forecasts, and why: Shapley attribution.

The change of every scenario's probability from a previous forecast to the current one is split
into named parts that add up exactly to the total:

1. **edits of the question file** (scenario priors, each indicator x scenario likelihood,
   indicators removed or redefined, the reliability table; wording and the prior concentration
   are listed with a contribution of 0 since they do not move the point probabilities);
2. **evidence items whose content changed, or that were removed**;
3. **new evidence items**, by Shapley values (each item's average contribution over every
   order of adding them, :mod:`.shapley`), so the result does not depend on an arbitrary
   order: exact up to :data:`~.shapley.MAX_EXACT` items, estimated from random orders beyond
   (the standard error is stated);
   also, for reading, the change as the new items arrive in date order;
4. for MCMC forecasts, the Monte Carlo difference between the reported and the exact value.

Within the first two groups parts are Shapley values too. All parts are computed in closed form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import xarray as xr

from ..core.dims import SCENARIO
from ..inputs.evidence import Evidence, EvidenceItem
from ..inputs.question import Question
from ..kinds import get_kind
from ..model.data import IndicatorData, ModelData
from ..results.forecast import Forecast
from .confidence_change import confidence_change
from .shapley import MAX_EXACT, PERMUTATIONS, Change, State, item_rows, shapley, state_of

CHANGE = "change"

# --- finding the changes ----------------------------------------------------------------------


def _question_changes(
    old_q: Question, new_q: Question, old_ev: Evidence, kept_old: Evidence
) -> list[Change]:
    """Named edits of the question, as changes of the old state (old evidence)."""
    changes: list[Change] = []
    scen = new_q.scenario_ids
    old_prior, new_prior = old_q.prior, new_q.prior
    if not np.allclose(old_prior, new_prior, rtol=0, atol=1e-15):
        text = ", ".join(
            f"{s} {a:.3g}->{b:.3g}"
            for s, a, b in zip(scen, old_prior, new_prior, strict=True)
            if a != b
        )

        def set_prior(st: State, p=new_prior) -> None:
            with np.errstate(divide="ignore"):
                st.log_prior = np.log(p)

        changes.append(Change("question", "prior", f"scenario priors: {text}", set_prior))
    if old_q.concentration != new_q.concentration:
        changes.append(
            Change(
                "question",
                "prior_concentration",
                f"prior concentration {old_q.concentration:g} -> "
                f"{new_q.concentration:g} (moves intervals, not probabilities)",
                lambda st: None,
            )
        )
    old_ind, new_ind = old_q.indicators, new_q.indicators
    for name, spec in old_ind.items():
        new = new_ind.get(name)
        n_items = sum(1 for it in old_ev.items if it.indicator == name)
        if new is None or _redefined(spec, new):
            what = "removed" if new is None else "redefined"

            defn = _definition(new_q, name) if new is not None else None

            def drop(st: State, name=name, new=new, defn=defn) -> None:
                st.items[name] = {}
                if new is not None:  # the new definition, without the old items' evidence
                    st.params[name] = new.prior_params(scen)
                    st.specs[name] = defn

            changes.append(
                Change(
                    "question",
                    f"indicator:{name}",
                    f"indicator {name} {what}"
                    + (f" (its {n_items} earlier items no longer count)" if n_items else ""),
                    drop,
                )
            )
            continue
        old_p, new_p = spec.prior_params(scen), new.prior_params(scen)
        for k, s in enumerate(scen):
            if not np.array_equal(old_p[k], new_p[k]):

                def edit(st: State, name=name, k=k, row=new_p[k]) -> None:
                    st.params[name][k] = row

                changes.append(
                    Change(
                        "question",
                        f"likelihood:{name}:{s}",
                        f"likelihood of {name} under {s}: "
                        f"{_describe(spec, old_p[k])} -> {_describe(new, new_p[k])}",
                        edit,
                    )
                )
    for name, new in new_ind.items():
        if name not in old_ind:
            defn = _definition(new_q, name)

            def add(st: State, name=name, new=new, defn=defn) -> None:
                st.params[name] = new.prior_params(scen)
                st.specs[name] = defn
                st.items[name] = {}

            changes.append(Change("question", f"indicator:{name}", f"indicator {name} added", add))
    if old_q.reliability != new_q.reliability:

        def remodel(st: State, model=new_q.reliability) -> None:
            st.reliability = model

        changes.append(
            Change(
                "question",
                "reliability_model",
                f"reliability model {old_q.reliability} -> {new_q.reliability}",
                remodel,
            )
        )
    tables = ("reliability_codes", "relays")
    if any((getattr(old_q, t) or {}) != (getattr(new_q, t) or {}) for t in tables) or (
        old_q.half_life_days != new_q.half_life_days
    ):
        new_data = ModelData.build(new_q, kept_old)

        def retable(st: State, data=new_data) -> None:
            for ind in data.indicators:
                if ind.id in st.items and st.specs[ind.id].kind is ind.kind:
                    st.items[ind.id].update(item_rows(ind))

        changes.append(
            Change(
                "question",
                "reliability_codes",
                "reliability tables (reliability_codes, relays) or half-life changed",
                retable,
            )
        )
    if old_q.dynamics != new_q.dynamics or (
        new_q.dynamics is not None and old_q.resolves != new_q.resolves
    ):
        timeline = ModelData.build(new_q, kept_old).timeline

        def redynamise(st: State, timeline=timeline) -> None:
            st.timeline = timeline

        what = (
            "dynamics added"
            if old_q.dynamics is None
            else "dynamics removed"
            if new_q.dynamics is None
            else "dynamics (transitions, periods or resolution date) changed"
        )
        changes.append(Change("question", "dynamics", what, redynamise))
    wording = [
        k
        for k in ("title", "question", "resolves")
        if getattr(old_q, k) != getattr(new_q, k) and not (k == "resolves" and new_q.dynamics)
    ]
    wording += [
        f"{s} label"
        for s in scen
        if s in old_q.scenarios and old_q.scenarios[s].label != new_q.scenarios[s].label
    ]
    if wording:
        changes.append(
            Change(
                "question",
                "wording",
                "wording edited (" + ", ".join(wording) + "; no effect on the numbers)",
                lambda st: None,
            )
        )
    return changes


def _grade(it) -> str:
    """An item's reliability as the ledger gave it: its Admiralty code, or the number."""
    return it.reliability if isinstance(it.reliability, str) else f"reliability {it.weight:.2g}"


def _redefined(old, new) -> bool:
    return get_kind(old.kind).redefined(old, new)


def _describe(spec, row: np.ndarray) -> str:
    return get_kind(spec.kind).likelihood_text(spec, row)


def _definition(question: Question, name: str) -> IndicatorData:
    """Indicator ``name`` of ``question``, without items."""
    data = ModelData.build(question, Evidence(question.id, ()))
    return next(i for i in data.indicators if i.id == name)


def _item_delta(
    question: Question, item: EvidenceItem, sign: float, as_of: dt.date | None = None
) -> tuple[str, str, IndicatorData | None]:
    """An item to add (sign +1, its data under ``question``, aged to ``as_of``) or to remove."""
    if sign < 0:
        return item.indicator, item.id, None
    data = ModelData.build(question, Evidence(question.id, (item,), as_of_date=as_of))
    ind = next(i for i in data.indicators if i.id == item.indicator)
    return item.indicator, item.id, ind


def _items_change(
    kind: str,
    id_: str,
    label: str,
    deltas: list[tuple[str, str, IndicatorData | None]],
    date: str = "",
) -> Change:
    def apply(st: State) -> None:
        for name, item_id, row in deltas:
            if row is None:
                st.items[name].pop(item_id, None)
            else:
                st.items[name][item_id] = row

    return Change(kind, id_, label, apply, date)


def _ageing_change(
    question: Question,
    kept_old: Evidence,
    new_by_id: dict[str, EvidenceItem],
    before: dt.date,
    now: dt.date,
) -> Change | None:
    """The items kept unchanged, aged from ``before`` to ``now`` (``None``: nothing ages)."""
    same = [
        it
        for it in kept_old.items
        if it.id in new_by_id
        and new_by_id[it.id].to_dict() == it.to_dict()
        and new_by_id[it.id].weight == it.weight
    ]
    if before == now or not same:
        return None
    data = ModelData.build(question, Evidence(question.id, tuple(same), as_of_date=now))
    if all(np.all(ind.item_ageing == 1.0) for ind in data.indicators):
        return None
    rows = {ind.id: item_rows(ind) for ind in data.indicators}

    def apply(st: State) -> None:
        for name, by_id in rows.items():
            if name in st.items:
                st.items[name].update(by_id)

    days = (now - before).days
    return Change(
        "ageing",
        "ageing",
        f"the evidence aged {days} day{'s' if abs(days) != 1 else ''} (half-lives)",
        apply,
        now.isoformat(),
    )


def _short_value(item: EvidenceItem, question: Question) -> str:
    spec = question.indicators[item.indicator]
    return get_kind(spec.kind).item_text(spec, item.value, item.exposure, item.window)


@dataclass
class Attribution:
    """The result of :func:`attribute`."""

    parts: xr.Dataset
    sequential: xr.Dataset
    total: np.ndarray
    previous_as_of: str
    current_as_of: str
    comparable: bool
    notes: list[str] = field(default_factory=list)
    #: Why the confidence changed, in words (:mod:`.confidence_change`).
    confidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        scen = [str(s) for s in self.parts[SCENARIO].values]
        return {
            "previous_as_of": self.previous_as_of,
            "current_as_of": self.current_as_of,
            "comparable": self.comparable,
            "total": dict(zip(scen, map(float, self.total), strict=True)),
            "parts": [
                {
                    "kind": str(self.parts.change_kind.values[n]),
                    "id": str(self.parts.change_id.values[n]),
                    "label": str(self.parts.change_label.values[n]),
                    "date": str(self.parts.change_date.values[n]),
                    "method": str(self.parts.method.values[n]),
                    "contribution": dict(
                        zip(scen, map(float, self.parts.contribution.values[n]), strict=True)
                    ),
                    "standard_error": dict(
                        zip(scen, map(float, self.parts.standard_error.values[n]), strict=True)
                    ),
                }
                for n in range(self.parts.sizes[CHANGE])
            ],
            "notes": self.notes,
            "confidence": self.confidence,
        }


def attribute(previous: Forecast, current: Forecast, *, seed: int = 0) -> Attribution:
    """Split the change from ``previous`` to ``current`` into named parts (see module doc).

    ``confidence`` says why the confidence level changed, or that it did not.
    """
    out = _attribute(previous, current, seed=seed)
    return replace(out, confidence=confidence_change(previous, current))


def _attribute(previous: Forecast, current: Forecast, *, seed: int) -> Attribution:
    old_q, new_q = previous.question_spec(), current.question_spec()
    old_ev, new_ev = previous.evidence(), current.evidence()
    total = current.probabilities.values - _aligned(previous, current.scenarios)
    notes: list[str] = []
    if old_q.scenario_ids != new_q.scenario_ids:
        added = [s for s in new_q.scenario_ids if s not in old_q.scenario_ids]
        removed = [s for s in old_q.scenario_ids if s not in new_q.scenario_ids]
        label = (
            "scenario set changed"
            + (f"; added {', '.join(added)}" if added else "")
            + (f"; removed {', '.join(removed)}" if removed else "")
        )
        if not added and not removed:
            label = "scenarios reordered"
        notes.append("the scenarios changed, so the change is not split further")
        parts = _parts(
            current.scenarios,
            [Change("question", "scenarios", label, lambda st: None)],
            total[None, :],
            np.zeros((1, len(total))),
            ["whole"],
        )
        return Attribution(
            parts,
            _parts(current.scenarios, [], np.zeros((0, len(total))), np.zeros((0, len(total))), []),
            total,
            previous.as_of.isoformat(),
            current.as_of.isoformat(),
            False,
            notes,
        )

    # old items that still validate under the new question (kept for the question step)
    kept_rows = [
        it.to_dict()
        for it in old_ev.items
        if it.indicator in new_q.indicators
        and not _redefined(old_q.indicators[it.indicator], new_q.indicators[it.indicator])
    ]
    kept_old = Evidence.from_items(kept_rows, new_q) if kept_rows else Evidence(new_q.id, ())
    kept_old = replace(kept_old, as_of_date=previous.as_of)
    now = current.as_of

    start = state_of(ModelData.build(old_q, replace(old_ev, as_of_date=previous.as_of)))
    exact_old = start.probability()
    q_changes = _question_changes(old_q, new_q, old_ev, kept_old)
    q_phi, q_se, q_method = shapley(start, q_changes, seed=seed)
    mid = start.copy()
    for c in q_changes:
        c.apply(mid)

    old_by_id = {it.id: it for it in kept_old.items}
    new_by_id = {it.id: it for it in new_ev.items}
    item_changes: list[Change] = []
    for it in kept_old.items:
        new = new_by_id.get(it.id)
        if new is None:
            item_changes.append(
                _items_change(
                    "removed",
                    it.id,
                    f"{it.id} removed ({it.indicator} = {_short_value(it, new_q)})",
                    [_item_delta(new_q, it, -1.0)],
                    it.date.isoformat(),
                )
            )
        elif new.to_dict() != it.to_dict() or new.weight != it.weight:
            item_changes.append(
                _items_change(
                    "changed",
                    it.id,
                    f"{it.id} changed ({it.indicator}: {_short_value(it, new_q)}, "
                    f"{_grade(it)} -> {_short_value(new, new_q)}, {_grade(new)})",
                    [_item_delta(new_q, it, -1.0), _item_delta(new_q, new, 1.0, now)],
                    new.date.isoformat(),
                )
            )
    aged = _ageing_change(new_q, kept_old, new_by_id, previous.as_of, now)
    if aged is not None:
        item_changes.append(aged)
    c_phi, c_se, c_method = shapley(mid, item_changes, seed=seed)
    after_changes = mid.copy()
    for c in item_changes:
        c.apply(after_changes)

    added = sorted(
        (it for it in new_ev.items if it.id not in old_by_id), key=lambda it: (it.date, it.id)
    )
    add_changes = [
        _items_change(
            "new",
            it.id,
            f"{it.id}: {it.indicator} = {_short_value(it, new_q)} ({it.source}, {_grade(it)})",
            [_item_delta(new_q, it, 1.0, now)],
            it.date.isoformat(),
        )
        for it in added
    ]
    a_phi, a_se, a_method = shapley(after_changes, add_changes, seed=seed)

    # the new items in date order, for reading
    seq = np.zeros((len(add_changes), len(total)))
    s = after_changes.copy()
    prev = s.probability()
    for n, c in enumerate(add_changes):
        c.apply(s)
        cur = s.probability()
        seq[n] = cur - prev
        prev = cur
    exact_new = s.probability()

    changes = q_changes + item_changes + add_changes
    phi = np.concatenate([q_phi, c_phi, a_phi]) if changes else np.zeros((0, len(total)))
    se = np.concatenate([q_se, c_se, a_se]) if changes else np.zeros((0, len(total)))
    methods = (
        [q_method] * len(q_changes) + [c_method] * len(item_changes) + [a_method] * len(add_changes)
    )
    mc_old = exact_old - _aligned(previous, current.scenarios)
    mc_new = current.probabilities.values - exact_new
    if "mcmc" in (previous.engine, current.engine):
        changes.append(
            Change(
                "engine",
                "monte_carlo",
                "Monte Carlo error of the MCMC estimates (reported minus exact)",
                lambda st: None,
            )
        )
        phi = np.concatenate([phi, (mc_old + mc_new)[None, :]])
        se = np.concatenate([se, np.zeros((1, len(total)))])
        methods.append("difference")
    residual = (
        float(np.max(np.abs(phi.sum(0) - total))) if len(phi) else float(np.max(np.abs(total)))
    )
    if residual > 1e-9:
        notes.append(f"parts differ from the total by up to {residual:.2g}")
    if "sampled" in methods:
        notes.append(
            f"Shapley values of groups with more than {MAX_EXACT} changes are "
            f"estimated from {PERMUTATIONS} random orders; standard errors are given"
        )
    parts = _parts(current.scenarios, changes, phi, se, methods)
    sequential = _parts(
        current.scenarios, add_changes, seq, np.zeros_like(seq), ["date order"] * len(add_changes)
    )
    return Attribution(
        parts, sequential, total, previous.as_of.isoformat(), current.as_of.isoformat(), True, notes
    )


def _aligned(forecast: Forecast, scenarios: list[str]) -> np.ndarray:
    p = dict(zip(forecast.scenarios, forecast.probabilities.values, strict=True))
    return np.array([p.get(s, np.nan) for s in scenarios])


def _parts(
    scenarios: list[str],
    changes: Sequence[Change],
    phi: np.ndarray,
    se: np.ndarray,
    methods: list[str],
) -> xr.Dataset:
    return xr.Dataset(
        {
            "contribution": (
                (CHANGE, SCENARIO),
                np.asarray(phi).reshape(len(changes), len(scenarios)),
            ),
            "standard_error": (
                (CHANGE, SCENARIO),
                np.asarray(se).reshape(len(changes), len(scenarios)),
            ),
            "method": ((CHANGE,), list(methods)),
        },
        coords={
            CHANGE: np.arange(len(changes)),
            SCENARIO: list(scenarios),
            "change_kind": (CHANGE, [c.kind for c in changes]),
            "change_id": (CHANGE, [c.id for c in changes]),
            "change_label": (CHANGE, [c.label for c in changes]),
            "change_date": (CHANGE, [c.date for c in changes]),
        },
    )
