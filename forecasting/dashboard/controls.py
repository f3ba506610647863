"""The what-if controls of one question, recomputed by the exact engine at each edit.

Add a hypothetical item, drop an item or an origin, move a judgement. The edits accumulate
(:class:`~.whatif.WhatIf`) until *Reset*; each session of the page has its own. The result
pane shows the forecast, the what-if and the change per scenario, the edits in force and how
long the recompute took.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import panel as pn

from ..core.errors import ForecastingError, InputError
from .data import QuestionView, judgement_choices
from .views import WIDTH, esc, probability_html
from .whatif import Move, WhatIf, hypothetical_item, recompute

#: The choice of the judgement selector that moves none.
NO_JUDGEMENT = "(none)"


class WhatIfPanel:
    """The what-if controls and their result for one question (one per page session).

    Parameters
    ----------
    view
        The question.
    """

    def __init__(self, view: QuestionView):
        self.view = view
        self.whatif = WhatIf()
        self.added = 0
        self.last = None
        ev = view.evidence
        as_of = view.forecast.as_of
        used = [it.id for it in ev.items if it.date <= as_of]
        origins = sorted({it.origin for it in ev.items if it.date <= as_of})
        q = view.question
        self.item = pn.widgets.Select(label="Item", options=used, css_classes=["fc-item"])
        self.drop_item = pn.widgets.Button(
            label="Drop item", color="primary", align="end", css_classes=["fc-drop-item"]
        )
        self.origin = pn.widgets.Select(label="Origin", options=origins, css_classes=["fc-origin"])
        self.drop_origin = pn.widgets.Button(
            label="Drop origin", color="primary", align="end", css_classes=["fc-drop-origin"]
        )
        self.indicator = pn.widgets.Select(
            label="Indicator", options=list(q.indicators), css_classes=["fc-indicator"]
        )
        self.value = pn.widgets.TextInput(
            label="Value (a count, true/false, a category, a number)",
            value="1",
            css_classes=["fc-value"],
        )
        self.date = pn.widgets.DatePicker(label="Date", value=as_of, css_classes=["fc-date"])
        self.days = pn.widgets.FloatInput(
            label="Days it covers (counts)", value=30, start=1, css_classes=["fc-days"]
        )
        self.grade = pn.widgets.TextInput(
            label="Reliability (Admiralty code or 0-1)", value="B2", css_classes=["fc-grade"]
        )
        self.source = pn.widgets.TextInput(
            label="Origin", placeholder="hypothetical", css_classes=["fc-source"]
        )
        self.add = pn.widgets.Button(
            label="Add item", color="primary", align="end", css_classes=["fc-add-item"]
        )
        self.judgement = pn.widgets.Select(
            label="Judgement", options=[NO_JUDGEMENT], css_classes=["fc-judgement"]
        )
        self.level = pn.widgets.FloatSlider(
            label="Value", start=0, end=1, step=0.001, value=0.5, disabled=True
        )
        self.reset = pn.widgets.Button(label="Reset", css_classes=["fc-reset"])
        self.result = pn.pane.HTML(self.render(None), css_classes=["fc-whatif-result"])
        self.choices: dict[str, dict[str, Any]] = {}
        self.drop_item.on_click(lambda _: self.apply(self.whatif.drop(self.item.value)))
        self.drop_origin.on_click(lambda _: self.apply(self.whatif.drop_origin(self.origin.value)))
        self.add.on_click(lambda _: self.add_item())
        self.reset.on_click(lambda _: self.apply(WhatIf(), reset=True))
        self.judgement.param.watch(lambda e: self.choose(e.new), "value")
        self.level.param.watch(lambda e: self.move(e.new), "value_throttled")

    def load_judgements(self) -> None:
        """Fill the judgement selector (the drivers are computed for it once, on first use)."""
        if self.choices:
            return
        self.choices = {c["label"]: c for c in judgement_choices(self.view.drivers)}
        self.judgement.options = [NO_JUDGEMENT, *self.choices]

    def choose(self, label: str) -> None:
        """A judgement was chosen: the slider spans its stated range, at its value now."""
        choice = self.choices.get(label)
        if choice is None:
            self.level.disabled = True
            self.apply(self.whatif.moved(None))
            return
        self.level.param.update(
            start=choice["low"],
            end=choice["high"],
            step=(choice["high"] - choice["low"]) / 200,
            value=choice["base"],
            label=f"{choice['label']} ({choice['unit']})" if choice["unit"] else choice["label"],
            disabled=False,
        )
        self.apply(self.whatif.moved(Move(choice["id"], choice["base"], choice["label"])))

    def move(self, value: float) -> None:
        """The slider moved: the chosen judgement takes its value."""
        choice = self.choices.get(self.judgement.value)
        if choice is not None:
            self.apply(self.whatif.moved(Move(choice["id"], float(value), choice["label"])))

    def add_item(self) -> None:
        """The form's item, added to the what-if."""
        self.added += 1
        day = self.date.value if isinstance(self.date.value, dt.date) else self.view.forecast.as_of
        item = hypothetical_item(
            self.view.question,
            indicator=self.indicator.value,
            value=self.value.value,
            date=day,
            days=float(self.days.value or 1),
            reliability=self.grade.value,
            origin=self.source.value,
            n=self.added,
        )
        self.apply(self.whatif.add(item))

    def apply(self, whatif: WhatIf, *, reset: bool = False) -> None:
        """Recompute with ``whatif``; keep it only when it is valid (else say what is wrong)."""
        if reset:
            self.judgement.value = NO_JUDGEMENT
            self.whatif = WhatIf()
            self.result.object = self.render(None)
            return
        try:
            outcome = recompute(
                self.view.question, self.view.evidence, whatif, as_of=self.view.forecast.as_of
            )
        except (InputError, ForecastingError) as exc:
            problems = getattr(exc, "problems", None) or [exc]
            self.result.object = self.render(self.last) + (
                '<p class="fc-error" style="color:#b00">Not applied: '
                + "; ".join(esc(p) for p in problems)
                + "</p>"
            )
            return
        self.whatif = whatif
        self.result.object = self.render(None if whatif.empty else outcome)

    def render(self, outcome) -> str:
        """The result: forecast, what-if and change per scenario, the edits and the time."""
        self.last = outcome
        f = self.view.forecast
        base = f.probabilities.values.astype(float)
        columns = {"forecast": base}
        if outcome is None:
            note = "No edits: the what-if is the forecast."
        else:
            columns["what-if"] = outcome.probabilities
            columns["change"] = outcome.probabilities - base
            note = (
                f"Recomputed by the exact engine in {1000 * outcome.seconds:.0f} ms. Edits: "
                + "; ".join(outcome.edits)
            )
        return probability_html(f.scenarios, f.labels, columns, css="fc-whatif", note=note)

    def panel(self) -> pn.Column:
        """The controls and the result, laid out."""
        self.load_judgements()
        return pn.Column(
            pn.pane.Markdown(
                "Edit the ledger or a judgement and see the probabilities recomputed by the exact "
                "engine; nothing is saved. Edits add up until **Reset**."
            ),
            pn.Row(self.item, self.drop_item),
            pn.Row(self.origin, self.drop_origin),
            pn.Row(self.indicator, self.value, self.date),
            pn.Row(self.days, self.grade, self.source, self.add),
            pn.Row(self.judgement, self.level),
            self.reset,
            self.result,
            max_width=WIDTH,
        )
