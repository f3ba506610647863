"""The analysts' track records on resolved questions, for Cooke's performance weights.

An analyst's record on a resolved question (one resolved with ``forecast resolve``, in the same
``models/`` folder as the question being forecast) is what the analyst would have forecast
before the outcome was known: the exact engine's posterior under that question with the
analyst's overlay for it (``models/<stem>/analysts/<name>.yaml``; the shared question itself
when the analyst has none), on the ledger as it stood at the question's last archived forecast
before its resolution date. That one forecast per question, not every week's: the weekly
forecasts of one question are far from independent events, which the classical model's
chi-square test assumes (and :func:`forecasting.scoring.score` draws its reliability diagram
from the same last forecasts). ``every_forecast=True`` takes every archived date instead.

Annulled questions, questions without an archived forecast before their resolution and the
question being forecast itself are left out. The weights themselves:
:mod:`forecasting.core.cooke`.

>>> from forecasting.scoring.cooke import resolved_records     # doctest: +SKIP
>>> records = resolved_records("models/syria_coalition.yaml", ["leverage", "trust_gap"])
>>> fc.forecast_analysts("models/syria_coalition.yaml", weights="cooke", records=records)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..core.paths import project_root
from ..engines import exact
from ..inputs.overlays import analysts_folder, load_overlay
from ..inputs.question import load_question
from ..inputs.resolve import resolve_inputs
from ..model.data import ModelData
from ..pipeline.archive import Archive
from .resolution import SUFFIX, load_resolution

#: One record: the probabilities by scenario id, and the scenario that happened.
Record = tuple[dict[str, float], str]


def resolved_questions(question_file: str | Path) -> list[Path]:
    """The question files beside ``question_file`` that have a resolution record (not itself)."""
    path = Path(question_file)
    out = []
    files = sorted([*path.parent.glob("*.yaml"), *path.parent.glob("*.yml")])
    for other in files:
        if other.name.endswith(SUFFIX) or other.resolve() == path.resolve():
            continue
        if load_resolution(other) is not None:
            out.append(other)
    return out


def resolved_records(
    question_file: str | Path,
    analysts: Sequence[str],
    *,
    archive: str | Path | None = None,
    every_forecast: bool = False,
) -> dict[str, list[Record]]:
    """Each analyst's records on the resolved questions beside ``question_file``.

    ``archive`` defaults to ``forecasts/`` beside the ``models/`` folder. Every analyst gets a
    record on every question used (their overlay's forecast, else the shared one), so the
    records are on the same questions, as the classical model's optimised cutoff needs.
    """
    out: dict[str, list[Record]] = {a: [] for a in analysts}
    for path in resolved_questions(question_file):
        question = load_question(path)
        resolution = load_resolution(path, question)
        if resolution is None or resolution.outcome is None:
            continue
        root = archive if archive is not None else project_root(path) / "forecasts"
        dates = sorted({e.as_of for e in Archive(root).entries(question.id)})
        dates = [d for d in dates if d < resolution.date]
        if not dates:
            continue
        folder = analysts_folder(path)
        for as_of in dates if every_forecast else dates[-1:]:
            shared, used, _ = resolve_inputs(question, None, as_of)
            scenarios = list(shared.labels)
            for name in analysts:
                overlay = folder / f"{name}.yaml"
                q = load_overlay(overlay, shared).question if overlay.is_file() else shared
                p = exact.exact_posterior(ModelData.build(q, used)).probability
                out[name].append(
                    ({s: float(v) for s, v in zip(scenarios, p, strict=True)}, resolution.outcome)
                )
    return out
