"""What the dashboard shows, as plain data: one :class:`QuestionView` per question file.

Nothing here imports Panel: every table is a pandas DataFrame and every figure a matplotlib
``(fig, ax)``, so the numbers the page shows are tested without a browser. Everything is read,
nothing written: the archive through :meth:`.Archive.check` without quarantine (it neither
locks nor moves a file) and :meth:`.Entry.load`; the forecasts are computed in memory.

The expensive parts are computed when first asked for and kept (``functools.cached_property``):
on the bundled question the forecast with its confidence takes about 1.4 s, the drivers
(:func:`~forecasting.analyses.overview.sensitivity`) 3 s and the analysts' disagreement map
8 s, so the overview never waits for the drivers or the map.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..analyses.attribution import Attribution, attribute
from ..analyses.disagreement import disagreement_map, top_judgements
from ..analyses.overview import sensitivity
from ..api import forecast, forecast_analysts
from ..core.dims import SCENARIO
from ..core.errors import InputError, Problem
from ..inputs.evidence import Evidence, load_evidence
from ..inputs.overlays import analysts_folder, find_overlay_files
from ..inputs.question import Question, load_question
from ..pipeline.archive import Archive
from ..presentation.text import (
    clip_words,
    confidence_sentence,
    headline,
    next_observation_sentences,
    pct,
    points,
)
from ..results.analysts import AnalystForecasts
from ..results.forecast import Forecast

#: Probabilities are shown with one decimal everywhere on the page (``54.7%``), so a what-if
#: that moves one by a few tenths of a point shows it.
DIGITS = 1
#: How many rows the driver and what-changed tables show.
TOP = 10
#: Longest label of a change shown (in characters; clipped at a word, with an ellipsis).
LABEL = 90


def shown(p: float) -> str:
    """A probability as the dashboard shows it (``54.7%``, ``<0.1%``)."""
    return pct(float(p), digits=DIGITS)


def question_files(models_dir: str | Path) -> list[Path]:
    """Every question file of a models directory (``models/*.yaml``), by name.

    Resolution records (``<name>.resolution.yaml``) are not questions and are left out.

    Raises
    ------
    InputError
        When ``models_dir`` is not a directory or holds no question file.
    """
    folder = Path(models_dir)
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    "MODELS_DIR",
                    f"{what}; give the models/ directory that holds the question files "
                    "(models/<name>.yaml)",
                )
            ]
        )
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and not p.stem.endswith(".resolution")
    )
    if not files:
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    "MODELS_DIR",
                    "holds no question file (<name>.yaml); give the models/ directory of a project",
                )
            ]
        )
    return files


@dataclass
class QuestionView:
    """One question as the dashboard shows it: its forecast, history, ledger and analyses.

    Parameters
    ----------
    path
        The question file.
    as_of
        The forecast's date (default: today, as ``forecast run``).
    """

    path: Path
    as_of: dt.date | None = None

    @cached_property
    def question(self) -> Question:
        """The question, validated."""
        return load_question(self.path)

    @cached_property
    def evidence(self) -> Evidence:
        """The whole ledger (the forecast leaves out the items dated after ``as_of``)."""
        return load_evidence(None, self.question)

    @cached_property
    def forecast(self) -> Forecast:
        """The forecast ``forecast run QUESTION [--as-of DATE]`` prints, same settings."""
        return forecast(self.question, self.evidence, as_of=self.as_of)

    @property
    def archive(self) -> Archive:
        """The question's archive, ``forecasts/`` beside ``models/`` (only read here)."""
        return Archive(self.path.resolve().parent.parent / "forecasts")

    @cached_property
    def history(self) -> xr.Dataset:
        """The archived forecasts over time (:meth:`.Archive.history`: reads, never moves)."""
        return self.archive.history(self.question.id)

    @cached_property
    def previous(self) -> Forecast | None:
        """The latest usable archived forecast before the forecast's date (or ``None``).

        Read whole; one damaged beyond what the history reads is passed over, as an update
        passes over it (here nothing moves into quarantine: the dashboard only reads).
        """
        contents = self.archive.check(self.question.id)  # quarantine=False: nothing moves
        return self.archive.previous(contents, self.forecast.as_of, quarantine=False)

    @cached_property
    def attribution(self) -> Attribution | None:
        """The change since :attr:`previous`, split into named parts (``None``: no previous)."""
        previous = self.previous
        return None if previous is None else attribute(previous, self.forecast)

    @cached_property
    def drivers(self) -> xr.DataTree:
        """Every exact analysis of the forecast (:func:`.sensitivity`)."""
        return sensitivity(self.forecast)

    @cached_property
    def analysts(self) -> list[str]:
        """The analysts with an overlay (``models/<stem>/analysts/<name>.yaml``), by name."""
        if not analysts_folder(self.path).is_dir():
            return []
        return sorted(find_overlay_files(self.question))

    @cached_property
    def analyst_forecasts(self) -> AnalystForecasts:
        """Each analyst's forecast and the pool (the question's ``pooling:``, else linear)."""
        return forecast_analysts(self.question, self.evidence, as_of=self.as_of, analysts="all")

    @cached_property
    def disagreement(self) -> xr.Dataset:
        """The disagreement map (:func:`.disagreement_map`) of the analysts."""
        return disagreement_map(
            self.question,
            self.evidence,
            as_of=self.as_of,
            analysts="all",
            forecasts=self.analyst_forecasts,
        )

    # --- what the page shows -------------------------------------------------------------

    @property
    def headline(self) -> str:
        """The leader, its probability and the change since :attr:`previous` (one sentence)."""
        return headline_sentence(self.forecast, self.previous)

    @property
    def confidence(self) -> str:
        """The confidence sentence (``Confidence low: 12 items from 6 ...``)."""
        return confidence_sentence(self.forecast)

    def summary(self) -> dict[str, Any]:
        """The overview's row: question, leader, probability, confidence, last change."""
        f = self.forecast
        lead = f.leading
        p = float(f.probabilities.sel({SCENARIO: lead}))
        change, since = "", ""
        if self.previous is not None and lead in self.previous.scenarios:
            before = float(self.previous.probabilities.sel({SCENARIO: lead}))
            change, since = f"{points(p - before)} pts", self.previous.as_of.isoformat()
        return {
            "question": f.question_id,
            "title": f.title,
            "as of": f.as_of.isoformat(),
            "leading": f.labels[lead],
            "probability": shown(p),
            "confidence": f.confidence.level if f.confidence is not None else "",
            "last change": change,
            "since": since,
            "archived": int(self.history.sizes.get("as_of", 0)),
        }


def headline_sentence(f: Forecast, previous: Forecast | None) -> str:
    """:func:`~forecasting.presentation.text.headline` without its confidence sentence."""
    text = headline(f, previous)
    conf = confidence_sentence(f)
    return text.removesuffix(f" {conf}").removesuffix(".") + "." if conf else text


def probability_table(f: Forecast) -> pd.DataFrame:
    """Scenario, label, prior and probability as shown, and the probability itself."""
    probs = f.probabilities.values
    prior = f.prior.values
    return pd.DataFrame(
        {
            "scenario": f.scenarios,
            "label": [f.labels[s] for s in f.scenarios],
            "prior": [shown(p) for p in prior],
            "probability": [shown(p) for p in probs],
            "value": probs.astype(float),
        }
    )


def ledger_table(evidence: Evidence, as_of: dt.date | None = None) -> pd.DataFrame:
    """The ledger, one row per item: id, date, indicator, value, origin, relay, grade, ...

    ``used`` says whether the forecast of ``as_of`` uses the item (not when dated after it).
    """
    rows = []
    for it in evidence.items:
        rows.append(
            {
                "id": it.id,
                "date": it.date.isoformat(),
                "indicator": it.indicator,
                "value": str(it.value),
                "origin": it.origin,
                "relay": ", ".join(it.via),
                "grade": str(it.reliability),
                "weight": round(float(it.weight), 3),
                "used": as_of is None or it.date <= as_of,
                "source": it.source,
            }
        )
    columns = ["id", "date", "indicator", "value", "origin", "relay", "grade", "weight", "used"]
    return pd.DataFrame(rows, columns=[*columns, "source"])


def change_table(attribution: Attribution | None, f: Forecast, top: int = TOP) -> pd.DataFrame:
    """What changed since the previous forecast and why: the largest parts, in points.

    One row per part (:func:`.attribute`), largest first on the leading scenario; columns: one
    of points per scenario, ``kind`` and ``change`` (its label, clipped to :data:`LABEL`).
    """
    columns = [*f.scenarios, "kind", "change"]
    if attribution is None or not attribution.parts.sizes.get("change", 0):
        return pd.DataFrame(columns=columns)
    parts = attribution.parts
    aligned = [str(s) for s in parts[SCENARIO].values]
    k = aligned.index(f.leading) if f.leading in aligned else 0
    contribution = parts.contribution.values
    order = np.argsort(-np.abs(contribution[:, k]))[:top]
    rows = []
    for n in order:
        row = {
            s: points(contribution[n, aligned.index(s)]) if s in aligned else ""
            for s in f.scenarios
        }
        row["kind"] = str(parts.change_kind.values[n])
        row["change"] = clip_words(str(parts.change_label.values[n]), LABEL)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def influence_table(tree: xr.DataTree, f: Forecast, top: int = TOP) -> pd.DataFrame:
    """The items that move the leading scenario most: points it adds and diagnosticity."""
    infl = tree["evidence_influence"].to_dataset()
    columns = ["item", "indicator", "points", "diagnosticity"]
    if not infl.sizes.get("item", 0):
        return pd.DataFrame(columns=columns)
    k = f.scenarios.index(f.leading)
    order = np.argsort(-infl["diagnosticity"].values)[:top]
    return pd.DataFrame(
        [
            {
                "item": str(infl.item.values[n]),
                "indicator": str(infl.item_indicator.values[n]),
                "points": points(infl["shift"].values[n, k]),
                "diagnosticity": round(float(infl["diagnosticity"].values[n]), 2),
            }
            for n in order
        ],
        columns=columns,
    )


def judgement_table(tree: xr.DataTree, top: int = TOP) -> pd.DataFrame:
    """The judgements that swing the leader most over their stated ranges."""
    js = tree["judgement_sensitivity"].to_dataset()
    order = np.argsort(-js["leader_swing"].values)[:top]
    return pd.DataFrame(
        [
            {
                "judgement": str(js.judgement_label.values[n]),
                "range": f"{js.low_value.values[n]:.3g} to {js.high_value.values[n]:.3g} "
                f"{js.judgement_unit.values[n]}".strip(),
                "swing": f"{100 * js['leader_swing'].values[n]:.1f} pts",
            }
            for n in order
        ],
        columns=["judgement", "range", "swing"],
    )


def watch_table(tree: xr.DataTree) -> pd.DataFrame:
    """What to watch: each indicator's value of one more observation, most informative first."""
    voi = tree["value_of_information"].to_dataset()
    order = np.argsort(-voi["entropy_reduction"].values)
    return pd.DataFrame(
        [
            {
                "indicator": str(voi.indicator.values[n]),
                "information (nats)": round(float(voi["entropy_reduction"].values[n]), 3),
                "P(leader changes)": shown(float(voi["p_leader_change"].values[n])),
            }
            for n in order
        ],
        columns=["indicator", "information (nats)", "P(leader changes)"],
    )


def watch_sentences(tree: xr.DataTree, f: Forecast) -> list[str]:
    """Which single next observation would make another scenario lead, in words."""
    nxt = tree["next_observation"].to_dataset()
    return next_observation_sentences(f.question, f.labels, nxt)


def judgement_choices(tree: xr.DataTree) -> list[dict[str, Any]]:
    """The judgements a what-if may move: id, label, base value, stated range and unit.

    Those whose stated range is a single value (nothing to move) are left out.
    """
    js = tree["judgement_sensitivity"].to_dataset()
    out = []
    for n in range(js.sizes["judgement"]):
        low, high = float(js.low_value.values[n]), float(js.high_value.values[n])
        if not (np.isfinite(low) and np.isfinite(high) and high > low):
            continue
        out.append(
            {
                "id": str(js.judgement.values[n]),
                "label": str(js.judgement_label.values[n]),
                "base": float(js.base_value.values[n]),
                "low": low,
                "high": high,
                "unit": str(js.judgement_unit.values[n]),
            }
        )
    return out


def analyst_table(result: AnalystForecasts, labels: dict[str, str]) -> pd.DataFrame:
    """Per scenario: the shared forecast, each analyst's, the pool and the spread, as shown."""
    ds = result.probabilities
    names = [str(a) for a in ds["analyst"].values]
    rows = []
    for k, s in enumerate(str(x) for x in ds[SCENARIO].values):
        row = {"scenario": s, "label": labels.get(s, s), "shared": shown(ds["shared"].values[k])}
        for i, a in enumerate(names):
            row[a] = shown(ds["probability"].values[i, k])
        row["pool"] = shown(ds["pooled"].values[k])
        spread = f"{100 * float(ds['spread'].values[k]):.0f}"
        row["spread"] = f"{spread} pt{'' if spread == '1' else 's'}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["scenario", "label", "shared", *names, "pool", "spread"])


def disagreement_table(ds: xr.Dataset, top: int = TOP) -> pd.DataFrame:
    """The judgements the analysts differ on: each one's part of the leader's move, in points.

    Blank where an analyst did not change the judgement; the pool's column is the pool's part.
    """
    leader = str(ds.attrs["leader"])
    k = [str(s) for s in ds[SCENARIO].values].index(leader)
    names = [str(a) for a in ds["analyst"].values]
    contribution = ds["contribution"].values[:, :, k]
    changed = ds["changed"].values
    rows = []
    for j in top_judgements(ds, leader, top):
        row = {"judgement": str(ds["judgement_label"].values[j])}
        for i, a in enumerate(names):
            row[a] = f"{100 * contribution[j, i]:+.1f}" if changed[j, i] else ""
        row["pool"] = f"{100 * float(ds['pooled_contribution'].values[j, :, k].sum()):+.1f}"
        rows.append(row)
    return pd.DataFrame(rows, columns=["judgement", *names, "pool"])
