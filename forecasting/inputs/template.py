"""A new question's first files: a commented template question and ledger (``forecast init``).

Both files validate as written (a test loads them), so that a new user starts from something
that runs and changes one thing at a time; the comments say what each key means and what is
allowed, in the words of the README's "Files" section.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.errors import InputError, Problem
from .question import QUESTION_ID

_QUESTION = """\
# A forecasting question: a few mutually exclusive scenarios, and the indicators whose evidence
# tells them apart. Every key is explained in README.md, "Files". Check it with:
#   forecast validate {path}
id: {id}                     # lowercase letters, digits and single '-'; the ledger's folder name
title: {title}               # required: a short title, shown on every output
question: >-                 # optional: the question as asked, in full
  Which scenario will describe the situation on the resolution date?
resolves: {resolves}           # optional: when the question resolves (YYYY-MM-DD)

scenarios:                   # at least 2, mutually exclusive, in display order
  holds:                     # scenario ids: lowercase letters, digits, single '_'
    label: The situation holds            # required: what is shown
    prior: 0.6               # optional; give it for all or none; they must sum to 1
  breaks:
    label: The situation breaks down
    prior: 0.4

indicators:                  # at least 1: what you can observe, and how it differs by scenario
  incidents:
    kind: count              # events counted over a window: y ~ Poisson(rate * exposure)
    description: Reported incidents
    per_days: 30             # the rate counts events per this many days
    rate:                    # per scenario: "between 1 and 4 a month, 90% sure", or {{mean, sd}}
      holds: {{lower: 1, upper: 4, mass: 0.9}}
      breaks: {{mean: 8, sd: 3}}
  talks_resumed:
    kind: binary             # a yes/no fact: P(observed true | scenario)
    description: The parties publicly resume talks
    probability:
      holds: {{mean: 0.7, sd: 0.15}}
      breaks: {{mean: 0.2, sd: 0.1}}
"""

_LEDGER = """\
# The evidence ledger of '{id}': one entry per observation, dated and sourced. Add files here
# (any names; .yaml, .yml, .jsonl or .csv), one per batch, e.g. {today}_source.yaml.
# These two items are EXAMPLES: replace them with real evidence (or delete them) before you
# forecast. Every key is explained in README.md, "Evidence ledger".
- id: example-incidents            # unique across all files of the question
  indicator: incidents             # an indicator of the question
  value: 3                         # count: a whole number of events
  window: [{start}, {end}]   # the days counted: the end day is NOT counted ([start, end)),
                                   # so a report of {today} covers at most up to the day before
  date: {today}                    # when the evidence became known
  source: Example source (replace me)
  reliability: B2                  # an Admiralty code (A-F, 1-6) or a number in [0, 1]
- id: example-talks
  indicator: talks_resumed
  value: false                     # binary: true or false
  date: {today}
  source: Example source (replace me)
  reliability: B3                  # one origin, one letter: its reliability is one judgement
"""


def question_file_name(question_id: str) -> str:
    """``models/<name>.yaml``'s name for a question id (``gaza-ceasefire``: ``gaza_ceasefire``)."""
    return question_id.replace("-", "_") + ".yaml"


def write_template(
    question_id: str, root: str | Path = ".", *, today: dt.date | None = None
) -> tuple[Path, Path]:
    """Write ``models/<name>.yaml`` and ``evidence/<id>/<today>_example.yaml`` under ``root``.

    Parameters
    ----------
    question_id
        The new question's id (lowercase letters, digits and single '-').
    root
        The project folder (``models/`` and ``evidence/`` are made in it).
    today
        The examples' date (default: today).

    Returns
    -------
    tuple of Path
        The question file and the ledger file.

    Raises
    ------
    InputError
        If the id is not valid, or either file exists already (nothing is overwritten).
    """
    if not isinstance(question_id, str) or not QUESTION_ID.fullmatch(question_id):
        raise InputError(
            [
                Problem(
                    None,
                    None,
                    "QUESTION_ID",
                    f"{question_id!r} is not a valid question id: use lowercase letters, "
                    "digits and single '-' (e.g. 'gaza-ceasefire')",
                )
            ]
        )
    root = Path(root)
    today = today or dt.date.today()
    question = root / "models" / question_file_name(question_id)
    ledger = root / "evidence" / question_id / f"{today.isoformat()}_example.yaml"
    taken = [p for p in (question, ledger.parent) if p.exists()]
    if taken:
        raise InputError(
            [
                Problem(
                    str(p),
                    None,
                    "QUESTION_ID",
                    "exists already; nothing was written (choose another id, or edit it)",
                )
                for p in taken
            ]
        )
    end = today - dt.timedelta(days=1)
    fields = {
        "id": question_id,
        "title": question_id.replace("-", " ").capitalize(),
        "path": question.as_posix(),
        "resolves": dt.date(today.year + 1, today.month, 1).isoformat(),
        "today": today.isoformat(),
        "start": (end - dt.timedelta(days=30)).isoformat(),
        "end": today.isoformat(),
    }
    question.parent.mkdir(parents=True, exist_ok=True)
    ledger.parent.mkdir(parents=True, exist_ok=True)
    question.write_text(_QUESTION.format(**fields), encoding="utf-8")
    ledger.write_text(_LEDGER.format(**fields), encoding="utf-8")
    return question, ledger
