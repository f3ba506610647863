"""The panes of one question: forecast and trajectory, what changed, ledger, drivers, analysts.

Each function takes a :class:`~.data.QuestionView` and returns a Panel object; the numbers come
from :mod:`.data`, the figures from :mod:`forecasting.presentation.plots`. Text read from files
(labels, ids, sources) is HTML-escaped before it is put in a pane.

The elements a test or a user's script looks for carry a CSS class starting ``fc-`` and, for
probabilities, ``data-scenario`` and ``data-value`` attributes (the number as shown and the
number itself).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence

import pandas as pd
import panel as pn

from ..presentation.plots import plot_disagreement, plot_history
from ..presentation.plots.registry import ensure_backend
from .data import (
    QuestionView,
    analyst_table,
    change_table,
    disagreement_table,
    influence_table,
    judgement_table,
    ledger_table,
    probability_table,
    shown,
    watch_sentences,
    watch_table,
)

#: Width of the page's main column, in pixels.
WIDTH = 1000


def esc(value: object) -> str:
    r"""Text for HTML: escaped, control characters shown as ``\x1b``."""
    text = str(value)
    if not text.isprintable():
        text = text.encode("unicode_escape").decode("ascii")
    return html.escape(text)


def figure_pane(fig) -> pn.pane.PNG:
    """A matplotlib figure as a PNG pane (the figure is closed: nothing is kept by pyplot)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return pn.pane.PNG(buffer.getvalue(), sizing_mode="scale_width", max_width=WIDTH)


def table(df: pd.DataFrame, *, css: str, filters: bool = False, height: int | None = None):
    """A read-only Tabulator of ``df`` (header filters when ``filters``)."""
    return pn.widgets.Tabulator(
        df,
        disabled=True,
        show_index=False,
        header_filters=filters,
        layout="fit_data_table",
        css_classes=[css],
        height=height,
        max_width=WIDTH,
        sizing_mode="stretch_width",
    )


def probability_html(
    scenarios: Sequence[str],
    labels: dict[str, str],
    columns: dict[str, Sequence[float]],
    *,
    css: str,
    note: str = "",
) -> str:
    """An HTML table of probabilities: one row per scenario, one column per entry of ``columns``.

    Each cell has ``data-scenario``, ``data-column`` and ``data-value`` (the full number), its
    text the number as shown (:func:`.shown`); a column named ``change`` is shown in points.
    """
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    rows = []
    for k, s in enumerate(scenarios):
        cells = []
        for name, values in columns.items():
            v = float(values[k])
            text = f"{100 * v:+.1f} pts" if name == "change" else shown(v)
            cells.append(
                f'<td class="fc-p" data-scenario="{esc(s)}" data-column="{esc(name)}" '
                f'data-value="{v!r}" style="text-align:right;padding:2px 10px">{text}</td>'
            )
        rows.append(
            f"<tr><td>{esc(labels.get(s, s))} <code>{esc(s)}</code></td>{''.join(cells)}</tr>"
        )
    foot = f'<p class="fc-note" style="color:#555">{esc(note)}</p>' if note else ""
    return (
        f'<table class="{css}" style="border-collapse:collapse"><thead><tr><th>scenario</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}"
    )


def overview_html(views: Sequence[QuestionView]) -> str:
    """Every question: its leader and probability, confidence, last change, archive size."""
    rows = []
    for v in views:
        s = v.summary()
        rows.append(
            f'<tr class="fc-question" data-question="{esc(s["question"])}">'
            f"<td><b>{esc(s['title'])}</b><br><code>{esc(s['question'])}</code> "
            f"as of {esc(s['as of'])}</td>"
            f"<td>{esc(s['leading'])}</td>"
            f'<td class="fc-headline-p" style="text-align:right">{esc(s["probability"])}</td>'
            f'<td class="fc-level">{esc(s["confidence"])}</td>'
            f"<td>{esc(s['last change'] or 'first forecast')}"
            f"{' since ' + esc(s['since']) if s['since'] else ''}</td>"
            f'<td style="text-align:right">{s["archived"]}</td></tr>'
        )
    return (
        '<table class="fc-overview" style="border-collapse:collapse;width:100%">'
        "<thead><tr><th>question</th><th>leading scenario</th><th>probability</th>"
        "<th>confidence</th><th>last change</th><th>archived</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def forecast_pane(view: QuestionView) -> pn.Column:
    """Headline, confidence, the probabilities and the trajectory of the archived forecasts."""
    f = view.forecast
    probs = probability_table(f)
    items = [
        pn.pane.HTML(
            f'<h3 class="fc-headline">{esc(view.headline)}</h3>'
            f'<p class="fc-confidence">{esc(view.confidence)}</p>',
            max_width=WIDTH,
        ),
        pn.pane.HTML(
            probability_html(
                f.scenarios,
                f.labels,
                {"prior": f.prior.values, "probability": probs["value"].to_numpy()},
                css="fc-forecast",
                note=f"as of {f.as_of.isoformat()} | {f.engine} engine | "
                f"{len(f.evidence_items)} items used, {len(f.excluded)} left out",
            )
        ),
    ]
    hist = view.history
    if hist.sizes.get("as_of", 0):
        ensure_backend()
        fig, _ = plot_history(hist)
        items += ["### Trajectory (archived forecasts)", figure_pane(fig)]
    else:
        items.append("No archived forecasts yet (`forecast update` or `forecast backfill`).")
    unreadable = hist.attrs.get("unreadable", [])
    if unreadable:
        items.append(
            pn.pane.HTML(
                "<p>Unreadable archive files, skipped (not moved): "
                + ", ".join(esc(p) for p in unreadable)
                + "</p>"
            )
        )
    return pn.Column(*items, max_width=WIDTH)


def change_pane(view: QuestionView) -> pn.Column:
    """What changed since the previous archived forecast, and why (Shapley parts, in points)."""
    att = view.attribution
    if att is None:
        return pn.Column(
            pn.pane.Markdown(
                "No earlier archived forecast to compare with.", css_classes=["fc-change"]
            )
        )
    f = view.forecast
    previous = view.previous
    k = f.scenarios.index(f.leading)
    total = float(att.total[k])
    words = (
        f"**{esc(f.labels[f.leading])}**: {shown(float(previous.probabilities.values[k]))} on "
        f"{att.previous_as_of} to {shown(float(f.probabilities.values[k]))} on "
        f"{att.current_as_of} ({100 * total:+.1f} points)."
        if f.leading in previous.scenarios
        else ""
    )
    items = [pn.pane.Markdown(words, css_classes=["fc-change"])]
    if att.confidence:
        items.append(pn.pane.Markdown(f"{esc(att.confidence[0].upper() + att.confidence[1:])}."))
    items += [
        pn.pane.Markdown(
            "Each part of the change, in points (Shapley values: they add up to the total)."
        ),
        table(change_table(att, f), css="fc-change-table"),
    ]
    items += [pn.pane.Markdown(f"*{esc(n)}*") for n in att.notes]
    return pn.Column(*items, max_width=WIDTH)


def ledger_pane(view: QuestionView) -> pn.Column:
    """The ledger as a filterable table (origin, relay, grade, date, ...)."""
    df = ledger_table(view.evidence, view.forecast.as_of)
    return pn.Column(
        pn.pane.Markdown(
            f"{len(df)} items in the ledger; type in a column's header to filter it "
            "(`used`: the forecast of this date uses the item)."
        ),
        table(df, css="fc-ledger", filters=True, height=420),
        max_width=WIDTH,
    )


def drivers_pane(view: QuestionView) -> pn.Column:
    """The drivers (evidence influence, judgement sensitivity) and what to watch next."""
    tree, f = view.drivers, view.forecast
    sentences = "\n".join(f"- {esc(s)}" for s in watch_sentences(tree, f))
    return pn.Column(
        pn.pane.Markdown(
            f"### Evidence that moves '{esc(f.labels[f.leading])}' most\n"
            "points: what the item adds to it; diagnosticity: its largest |log Bayes factor|."
        ),
        table(influence_table(tree, f), css="fc-influence"),
        pn.pane.Markdown("### Judgements that swing the leader most (over their stated range)"),
        table(judgement_table(tree), css="fc-judgements"),
        pn.pane.Markdown("### What to watch next (value of one more observation)"),
        table(watch_table(tree), css="fc-watch"),
        pn.pane.Markdown(sentences or "No single next observation would change the leader."),
        max_width=WIDTH,
    )


def analysts_pane(view: QuestionView) -> pn.Column:
    """Each analyst's forecast and the pool, and the disagreement map (figure and table)."""
    if not view.analysts:
        return pn.Column(pn.pane.Markdown("This question has no analyst overlays."))
    result, dmap = view.analyst_forecasts, view.disagreement
    probs = result.probabilities
    ensure_backend()
    fig, _ = plot_disagreement(dmap)
    rationale = "\n".join(f"- **{esc(a)}**: {esc(t)}" for a, t in result.rationales.items())
    return pn.Column(
        pn.pane.Markdown(
            f"### {len(view.analysts)} analysts, pooled {esc(probs.attrs.get('pool', ''))}"
        ),
        table(analyst_table(result, view.forecast.labels), css="fc-analyst-table"),
        pn.pane.Markdown(rationale),
        pn.pane.Markdown("### What the analysts differ on (the disagreement map)"),
        figure_pane(fig),
        table(disagreement_table(dmap), css="fc-disagreement"),
        max_width=WIDTH,
    )
