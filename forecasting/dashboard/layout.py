"""The dashboard's page: every question of a models directory, then one question in detail.

:func:`app` returns the Panel layout, for ``forecast serve`` and for a notebook (in JupyterLab,
after ``pn.extension("tabulator")``, ``forecasting.dashboard.app("models")`` as a cell's last line
shows it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import panel as pn

from .controls import WhatIfPanel
from .data import QuestionView, question_files
from .views import (
    WIDTH,
    analysts_pane,
    change_pane,
    drivers_pane,
    esc,
    forecast_pane,
    ledger_pane,
    overview_html,
)


def question_views(models_dir: str | Path, *, as_of: dt.date | None = None) -> list[QuestionView]:
    """One view per question file of ``models_dir`` (read when first shown).

    Raises
    ------
    InputError
        When ``models_dir`` is not a directory of question files.
    """
    return [QuestionView(path, as_of) for path in question_files(models_dir)]


def lazy(function, *args) -> pn.param.ParamFunction:
    """A pane computed when first shown (its tab opened), with a spinner meanwhile."""
    return pn.param.ParamFunction(
        pn.bind(function, *args), lazy=True, loading_indicator=True, max_width=WIDTH
    )


def question_panel(view: QuestionView) -> pn.Tabs:
    """One question's tabs: forecast, what changed, ledger, drivers, what-if (and analysts)."""
    tabs = [
        ("Forecast", forecast_pane(view)),
        ("What changed", lazy(change_pane, view)),
        ("Ledger", lazy(ledger_pane, view)),
        ("Drivers and what to watch", lazy(drivers_pane, view)),
        ("What if", lazy(lambda v: WhatIfPanel(v).panel(), view)),
    ]
    if view.analysts:
        tabs.append(("Analysts", lazy(analysts_pane, view)))
    return pn.Tabs(*tabs, dynamic=True, css_classes=["fc-tabs"])


def app(
    models_dir: str | Path = "models",
    *,
    as_of: dt.date | None = None,
    views: Sequence[QuestionView] | None = None,
) -> pn.Column:
    """The dashboard of every question in ``models_dir``, as a Panel layout.

    Parameters
    ----------
    models_dir
        A project's ``models/`` directory; its archive (``forecasts/``) is beside it and only
        read.
    as_of
        The forecasts' date (default: today, as ``forecast run``).
    views
        The questions, already read (``forecast serve`` shares them between page sessions);
        default: :func:`question_views` of ``models_dir``.
    """
    views = list(views) if views is not None else question_views(models_dir, as_of=as_of)
    by_id = {v.question.id: v for v in views}
    panels: dict[str, pn.Tabs] = {}

    def detail(question_id: str) -> pn.Tabs:
        if question_id not in panels:
            panels[question_id] = question_panel(by_id[question_id])
        return panels[question_id]

    choose = pn.widgets.Select(
        label="Question",
        options={f"{v.question.title} ({qid})": qid for qid, v in by_id.items()},
        css_classes=["fc-choose"],
        width=500,
    )
    where = esc(models_dir)
    return pn.Column(
        pn.pane.HTML(
            f"<h1>Forecasts</h1><p>{len(views)} question{'s' if len(views) != 1 else ''} in "
            f"<code>{where}</code>; the archive beside it is read, never written.</p>",
            max_width=WIDTH,
        ),
        pn.pane.HTML(overview_html(views), max_width=WIDTH, sizing_mode="stretch_width"),
        choose,
        pn.panel(pn.bind(detail, choose), max_width=WIDTH),
        max_width=WIDTH + 40,
        margin=(0, 20),
        css_classes=["fc-app"],
    )
