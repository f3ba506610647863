"""The question file: scenarios, indicators and the analyst's elicited likelihoods.

A question is validated once, as a whole, when it is loaded: every problem is reported together
with its file, line and field. Pydantic checks the shape of each part (each indicator's schema
comes from its kind, :mod:`forecasting.kinds`); :func:`_cross_check` checks what relates parts
to each other (every indicator gives a likelihood for every scenario, priors sum to 1, names
are unique), and each kind checks what relates the parts of its indicators.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, PrivateAttr, ValidationError, ValidationInfo, model_validator

from ..core.constants import (
    CATCH_ALL,
    CATCH_ALL_LABEL,
    HORIZON_DAYS,
    PRIOR_SUM_TOL,
    RELIABILITY_MODEL,
)
from ..core.dims import CATEGORY
from ..core.errors import InputError, Problem, did_you_mean, one_of
from ..core.schema import (
    EXTREME,
    MAX_DAYS,
    MAX_MAGNITUDE,
    MIN_DAYS,
    PARAM_MAX,
    PARAM_MIN,
    Date,
    HalfLife,
    OpenUnitFloat,
    PositiveFloat,
    Spec,
    Text,
    UnitFloat,
    id_text,
    is_number,
    typename,
)
from ..kinds import get_kind, indicator_type, kind_names
from . import safe_yaml
from .dynamics_spec import DynamicsSpec, dynamics_problems
from .pooling_spec import PoolingSpec
from .problems import pydantic_problems, relevant_errors
from .reliability import check_code_table
from .text_rules import value_problems

#: Ids are matched in full (``fullmatch``, or :func:`id_text`), never with ``match`` and ``$``.
QUESTION_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
#: Names the engine uses for its own variables and dimensions.
RESERVED = frozenset(
    {
        "pi",
        "scenario_probability",
        "evidence",
        "scenario",
        "indicator",
        "item",
        CATEGORY,
        "chain",
        "draw",
        "as_of",
        "prior",
        "probability",
        "lower",
        "upper",
        "mcse",
        "ci_bound",
    }
)


class ScenarioSpec(Spec):
    """One scenario of a question."""

    label: Text
    prior: UnitFloat | None = None
    description: str | None = None


class CatchAllSpec(Spec):
    """The "none of these" scenario: its prior probability (and label)."""

    prior: OpenUnitFloat = 0.05
    label: Text = CATCH_ALL_LABEL


class Question(Spec):
    """A forecasting question: mutually exclusive scenarios and the indicators that bear on them.

    Build it from a YAML file with :func:`load_question`, or in Python with keyword arguments
    of the same names as the file's keys.
    """

    ID_HELP: ClassVar[str] = (
        "question id: use lowercase letters, digits and single '-' (e.g. 'syria-coalition')"
    )

    id: id_text(QUESTION_ID)
    title: Text
    question: str | None = None
    resolves: Date | None = None
    scenarios: dict[str, ScenarioSpec] = Field(min_length=2)
    prior_concentration: PositiveFloat | None = None
    indicators: dict[str, indicator_type()] = Field(min_length=1)
    reliability_codes: dict[str, UnitFloat] | None = None
    reliability_model: Literal["tempered", "mixture"] | None = None
    #: Days ahead the responsiveness measure looks (default :data:`HORIZON_DAYS`).
    horizon_days: (
        Annotated[float, Field(gt=0, le=3660, allow_inf_nan=False, strict=True)] | None
    ) = None
    relays: dict[Annotated[str, Field(min_length=1)], UnitFloat] | None = None
    #: Default half-life of every indicator's reports (:mod:`forecasting.model.ageing`).
    half_life_days: HalfLife | None = None
    #: How the regime moves between scenarios (:mod:`.dynamics_spec`); none: it does not.
    dynamics: DynamicsSpec | None = None
    catch_all: CatchAllSpec | None = None
    #: How the analysts' forecasts are pooled by default (:mod:`.pooling_spec`, :mod:`.overlays`).
    pooling: PoolingSpec | None = None
    _source: str | None = PrivateAttr(default=None)
    _reliability_default: str | None = PrivateAttr(default=None)
    _lines: safe_yaml.LineMap | None = PrivateAttr(default=None)

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Any = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Question:
        """Validate a question given as data (the file's keys), as :func:`load_question` does.

        Raises
        ------
        InputError
            With every problem, located as the file loader locates them
            (``scenarios.accession.prior: ...``), not pydantic's one raw message.
        """
        if (context and context.get("cross_checked")) or isinstance(obj, Question):
            return super().model_validate(
                obj,
                strict=strict,
                extra=extra,
                from_attributes=from_attributes,
                context=context,
                by_alias=by_alias,
                by_name=by_name,
            )
        return parse_question(obj, safe_yaml.LineMap(None))

    @model_validator(mode="after")
    def _check_relations(self, info: ValidationInfo) -> Question:
        if info.context and info.context.get("cross_checked"):
            return self
        problems = _cross_check(self.model_dump(mode="python"), safe_yaml.LineMap(None))
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.message}" for p in problems))
        return self

    # --- derived, array-valued views -------------------------------------------------------
    @property
    def scenario_ids(self) -> list[str]:
        """Scenario ids in declared (display) order; the catch-all last, if there is one."""
        return list(self.scenarios) + ([CATCH_ALL] if self.catch_all is not None else [])

    @property
    def named_scenarios(self) -> list[str]:
        """The scenarios the question names (without the catch-all)."""
        return list(self.scenarios)

    @property
    def labels(self) -> dict[str, str]:
        """Scenario id to label."""
        out = {k: s.label for k, s in self.scenarios.items()}
        if self.catch_all is not None:
            out[CATCH_ALL] = self.catch_all.label
        return out

    @property
    def prior(self) -> np.ndarray:
        """Prior scenario probabilities, shape ``(K,)`` (uniform when none are given).

        With a catch-all, the named scenarios share ``1 - catch_all.prior``.
        """
        given = [s.prior for s in self.scenarios.values()]
        if all(p is None for p in given):
            p = np.full(len(given), 1.0 / len(given))
        else:
            p = np.array(given, dtype=float)
            p = p / p.sum()
        if self.catch_all is None:
            return p
        return np.append(p * (1.0 - self.catch_all.prior), self.catch_all.prior)

    @property
    def concentration(self) -> float:
        """Dirichlet concentration ``c`` of ``pi ~ Dirichlet(c * prior)``."""
        c = self.prior_concentration
        return float(c) if c is not None else float(len(self.scenarios))

    @property
    def reliability(self) -> str:
        """The reliability model: ``reliability_model`` or, where not given, the default.

        (A question read back from a forecast made before the field existed keeps the
        model that forecast used.)
        """
        return self.reliability_model or self._reliability_default or RELIABILITY_MODEL

    @property
    def horizon(self) -> float:
        """Days ahead the responsiveness measure looks (``horizon_days``, default 30)."""
        return HORIZON_DAYS if self.horizon_days is None else float(self.horizon_days)

    def made_with(self, reliability_model: str) -> Question:
        """Read as a forecast made with ``reliability_model`` read it (where it is unstated)."""
        self._reliability_default = reliability_model
        return self

    @property
    def source(self) -> str | None:
        """The file the question was read from, if any."""
        return self._source

    @property
    def lines(self) -> safe_yaml.LineMap:
        """Line numbers of the question file's values (empty when built in Python)."""
        return self._lines if self._lines is not None else safe_yaml.LineMap(self._source)

    def to_dict(self) -> dict[str, Any]:
        """The question as plain JSON-ready data, in file order, without unset fields."""
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False)

    def sha256(self) -> str:
        """SHA-256 of the question's canonical JSON (formatting and comments do not count)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Write the question as YAML (to ``path`` if given) and return the text."""
        import yaml

        text = yaml.safe_dump(
            _tidy(self.model_dump(mode="python", exclude_none=True)),
            sort_keys=False,
            allow_unicode=True,
            width=100,
        )
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _tidy(value: Any) -> Any:
    """Plain data for YAML: whole floats as integers (``7`` not ``7.0``), dates kept as dates."""
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


# --- loading --------------------------------------------------------------------------------


def load_question(path: str | Path) -> Question:
    """Read and validate a question file.

    Parameters
    ----------
    path
        A YAML question file (``models/<name>.yaml``).

    Raises
    ------
    InputError
        With every problem found, each naming file, line and field.
    """
    path = Path(path)
    raw, lines = safe_yaml.load(path)
    return parse_question(raw, lines)


def parse_question(raw: Any, lines: safe_yaml.LineMap) -> Question:
    """Validate already-parsed YAML data as a question (see :func:`load_question`)."""
    if raw is None:
        raise InputError(
            [
                Problem(
                    lines.source,
                    1,
                    "",
                    "the question file is empty; it needs at least id, title, scenarios "
                    "and indicators",
                )
            ]
        )
    if not isinstance(raw, dict):
        raise InputError(
            [lines.problem((), f"a question file must be a mapping of keys, got {typename(raw)}")]
        )
    problems = _cross_check(raw, lines)
    question = None
    try:
        question = Question.model_validate(raw, context={"cross_checked": True})
    except ValidationError as exc:
        # a value the cross-check already explained (e.g. an unquoted yes) needs no second,
        # generic type error; text refused for its characters or length, no second error at all
        explained = {p.field for p in problems}
        written = {p.field for p in value_problems(raw, lines)}
        problems.extend(
            p
            for p, err in zip(
                pydantic_problems(exc, lines, Question, raw),
                relevant_errors(exc),
                strict=True,
            )
            if not (p.field in explained and err["type"].endswith("_type"))
            and p.field not in written
        )
    if question is not None:
        question._source = lines.source
        question._lines = lines
    if problems:
        raise QuestionError(problems, question, raw.get("id"), lines.source)
    assert question is not None
    return question


class QuestionError(InputError):
    """A question's problems, with the question as read where only its cross-checks failed.

    ``partial`` is that question (every part has its schema; parts disagree, e.g. priors that
    sum to 1.05), else ``None``: the evidence can still be checked against it, so that one
    run reports every problem of both files (:func:`.resolve.load_inputs`); without it, what
    can be checked without the question is (:func:`.evidence.ledger_shape_problems`).
    """

    def __init__(
        self,
        problems: list[Problem],
        partial: Question | None = None,
        question_id: Any = None,
        source: str | None = None,
    ):
        super().__init__(problems)
        self.partial = partial
        #: The id as written and the file (to find the ledger when there is no ``partial``).
        self.question_id = question_id if isinstance(question_id, str) else None
        self.source = source


# --- checks that relate parts to each other -------------------------------------------------


def _cross_check(raw: Mapping[str, Any], lines: safe_yaml.LineMap) -> list[Problem]:
    problems: list[Problem] = value_problems(raw, lines, numbers=False)
    written = {p.field for p in problems}  # text refused for its characters or length

    def bad(path: tuple, message: str) -> None:
        problems.append(lines.problem(path, message))

    scenarios = raw.get("scenarios")
    scenario_ids: list[str] = []
    if isinstance(scenarios, dict):
        scenario_ids = [k for k in scenarios if isinstance(k, str)]
        for sid in scenario_ids:
            if lines.problem(("scenarios", sid), "").field in written:
                continue
            if not NAME.fullmatch(sid):
                bad(
                    ("scenarios", sid),
                    f"scenario id '{sid}' must be lowercase letters, digits "
                    "and single underscores, starting with a letter (e.g. 'formal_accession')",
                )
            elif sid in RESERVED:
                bad(("scenarios", sid), f"'{sid}' is reserved for the engine; choose another id")
        priors = {k: v.get("prior") for k, v in scenarios.items() if isinstance(v, dict)}
        given = [k for k, p in priors.items() if p is not None]
        if given and len(given) != len(priors):
            missing = [k for k, p in priors.items() if p is None]
            bad(
                ("scenarios",),
                "prior is given for some scenarios but not for "
                f"{one_of(missing)}; give it for all or none (none means uniform)",
            )
        elif given and all(is_number(priors[k]) for k in given):
            total = sum(float(priors[k]) for k in given)
            if abs(total - 1.0) > PRIOR_SUM_TOL:
                bad(("scenarios",), f"scenario priors sum to {total:.6g}; they must sum to 1")
            zero = [k for k in given if float(priors[k]) == 0.0]
            for k in zero:
                bad(
                    ("scenarios", k, "prior"),
                    "a prior of 0 rules the scenario out whatever the "
                    "evidence; remove the scenario or give it a small positive prior",
                )
        _check_prior_alphas(raw, priors, bad)

    indicators = raw.get("indicators")
    if isinstance(indicators, dict):
        names = [k for k in indicators if isinstance(k, str)]
        derived = {
            dim: k
            for k, v in indicators.items()
            if isinstance(k, str) and isinstance(v, dict) and v.get("kind") in kind_names()
            for dim in get_kind(v["kind"]).extra_dims(k, v)
        }
        for name in names:
            if lines.problem(("indicators", name), "").field in written:
                continue
            if not NAME.fullmatch(name):
                bad(
                    ("indicators", name),
                    f"indicator id '{name}' must be lowercase letters, "
                    "digits and single underscores, starting with a letter "
                    "(e.g. 'joint_operations')",
                )
            elif name in RESERVED or name in scenario_ids:
                bad(
                    ("indicators", name),
                    f"'{name}' is reserved or already a scenario id; choose another indicator id",
                )
            elif name in derived:
                bad(
                    ("indicators", name),
                    f"'{name}' clashes with the category dimension of "
                    f"indicator '{derived[name]}'; choose another id",
                )
        for name, ind in indicators.items():
            if isinstance(ind, dict):
                _check_indicator(str(name), ind, scenario_ids, bad, lines)
                _check_days(str(name), ind, bad)

    if raw.get("catch_all") is not None and CATCH_ALL in scenario_ids:
        bad(
            ("scenarios", CATCH_ALL),
            f"'{CATCH_ALL}' is the id of the catch-all scenario (catch_all:); name yours otherwise",
        )
    dynamics_problems(raw, scenario_ids, bad)
    codes = raw.get("reliability_codes")
    if isinstance(codes, dict):
        for key in codes:
            message = check_code_table(key)
            if message:
                bad(("reliability_codes", key), message)
    # numbers too large for any use, where no check above already said what is wrong with them
    explained = {p.field for p in problems}
    problems.extend(
        p for p in value_problems(raw, lines) if p.field not in explained and p.field not in written
    )
    return problems


def _check_days(name: str, ind: Mapping[str, Any], bad) -> None:
    """An indicator's ``per_days`` (a number of days) lies in ``[MIN_DAYS, MAX_DAYS]``."""
    per = ind.get("per_days")
    if is_number(per) and 0 < per <= MAX_MAGNITUDE and not MIN_DAYS <= per <= MAX_DAYS:
        bad(
            ("indicators", name, "per_days"),
            f"per_days is {per:.4g}; it must lie between {MIN_DAYS:g} and {MAX_DAYS:g} days "
            "(rates per a smaller or larger span lose all precision)",
        )


def _check_prior_alphas(raw: Mapping[str, Any], priors: dict[str, Any], bad) -> None:
    """``prior_concentration * prior`` (the Dirichlet alphas of the scenarios) must be moderate."""
    values = list(priors.values())
    if not values or (
        any(p is not None for p in values) and not all(is_number(p) and 0 < p <= 1 for p in values)
    ):
        return  # missing, zero or invalid priors are reported elsewhere
    conc = raw.get("prior_concentration")
    given = is_number(conc) and math.isfinite(conc) and conc > 0
    c = float(conc) if given else float(len(priors))
    weights = {k: (float(p) if p is not None else 1 / len(priors)) for k, p in priors.items()}
    extreme = [k for k, w in weights.items() if not PARAM_MIN <= c * w <= PARAM_MAX]
    if extreme:
        bad(
            ("prior_concentration",) if given else ("scenarios",),
            f"prior_concentration * prior is {c * weights[extreme[0]]:.4g} for scenario "
            f"'{extreme[0]}'; these Dirichlet alphas {EXTREME}",
        )


def _check_indicator(
    name: str, ind: Mapping[str, Any], scenarios: list[str], bad, lines: safe_yaml.LineMap
) -> None:
    base = ("indicators", name)
    kind_name = ind.get("kind")
    if not isinstance(kind_name, str) or kind_name not in kind_names():
        return  # a missing, mistyped or unknown kind is reported by the schema
    kind = get_kind(kind_name)
    field = kind.likelihood_field
    entries = ind.get(field)
    if not isinstance(entries, dict):
        return
    if scenarios:
        for sid in entries:
            if sid not in scenarios:
                bad(
                    base + (field, sid),
                    f"'{sid}' is not a scenario of this question"
                    f"{did_you_mean(sid, scenarios)}; scenarios are {one_of(scenarios)}",
                )
        missing = [s for s in scenarios if s not in entries]
        if missing:
            bad(
                base + (field,),
                f"no likelihood for scenario{'s' if len(missing) > 1 else ''} "
                f"{one_of(missing)}: every indicator needs an entry for every scenario",
            )
    kind.check_question(name, ind, scenarios, bad, lines)
