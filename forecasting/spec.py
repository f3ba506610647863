"""The question file: scenarios, indicators and the analyst's elicited likelihoods.

A question is validated once, as a whole, when it is loaded: every problem is reported together
with its file, line and field. Pydantic checks the shape of each part; :func:`_cross_check` checks
what relates parts to each other (every indicator gives a likelihood for every scenario, priors
sum to 1, categories match, names are unique).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from . import _yaml
from .constants import PRIOR_SUM_TOL
from .dims import CATEGORY, category_dim
from .elicitation import ElicitationError, fit_beta_interval, fit_gamma_interval
from .errors import InputError, Problem, did_you_mean, one_of
from .reliability import check_code_table

QUESTION_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
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
KINDS = ("count", "binary", "categorical")
#: Range of every shape-like parameter (Gamma shape, Beta alpha and beta, Dirichlet alpha).
#: Beyond it a distribution is in effect a point mass or a spike at the edge, and the engines
#: lose precision.
PARAM_MIN, PARAM_MAX = 1e-15, 1e6
_EXTREME = (
    f"must lie between {PARAM_MIN:g} and {PARAM_MAX:g}: beyond that the distribution is in "
    "effect a single point, so state less extreme certainty"
)

# Numbers are strict: YAML reads yes/no/on/off as true/false, which must not pass as 1 or 0.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False, strict=True)]
UnitFloat = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
OpenUnitFloat = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False, strict=True)]
Text = Annotated[str, Field(min_length=1)]


def _date_input(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. 2025-10-27)")
    return value


#: A calendar date: a YAML date, a ``datetime.date`` or ISO text (never a number).
Date = Annotated[dt.date, BeforeValidator(_date_input)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


def _form(model: BaseModel, forms: dict[str, tuple[str, ...]]) -> str:
    given = {k for k in type(model).model_fields if getattr(model, k) is not None}
    for name, keys in forms.items():
        required = {k for k in keys if k != "mass"}
        if required <= given <= set(keys):
            return name
    wanted = "; ".join("{" + ", ".join(k for k in keys) + "}" for keys in forms.values())
    got = "{" + ", ".join(sorted(given)) + "}" if given else "nothing"
    raise ValueError(f"give exactly one of the forms {wanted}; got {got}")


class GammaPrior(_Spec):
    """A Gamma distribution for a rate, in one of three forms.

    ``{mean, sd}`` (moment-matched), ``{shape, rate}``, or an interval
    ``{lower, upper, mass}`` fitted to the maximum-entropy Gamma with that mass.
    """

    mean: PositiveFloat | None = None
    sd: PositiveFloat | None = None
    shape: PositiveFloat | None = None
    rate: PositiveFloat | None = None
    lower: NonNegativeFloat | None = None
    upper: PositiveFloat | None = None
    mass: OpenUnitFloat | None = None
    _params: tuple[float, float] = PrivateAttr(default=(math.nan, math.nan))

    @model_validator(mode="after")
    def _fit(self) -> GammaPrior:
        form = _form(
            self,
            {
                "moments": ("mean", "sd"),
                "shape": ("shape", "rate"),
                "interval": ("lower", "upper", "mass"),
            },
        )
        if form == "moments":
            ratio = self.mean / self.sd  # products, not powers: they overflow to inf, not raise
            shape, rate = ratio * ratio, ratio / self.sd
        elif form == "shape":
            shape, rate = self.shape, self.rate
        else:
            try:
                shape, rate = fit_gamma_interval(self.lower, self.upper, self.mass or 0.9)
            except ElicitationError as exc:
                raise ValueError(str(exc)) from None
        if not (np.isfinite(shape) and np.isfinite(rate) and shape > 0 and rate > 0):
            raise ValueError(
                f"gives Gamma(shape={shape:g}, rate={rate:g}); both must be positive and finite "
                "(is the sd far too small or too large for the mean?)"
            )
        if not PARAM_MIN <= shape <= PARAM_MAX:
            raise ValueError(
                f"gives Gamma(shape={shape:.4g}, rate={rate:.4g}); the shape {_EXTREME}"
            )
        self._params = (float(shape), float(rate))
        return self

    @property
    def params(self) -> tuple[float, float]:
        """``(shape, rate)`` of the Gamma."""
        return self._params

    @property
    def form(self) -> str:
        """Which form the analyst used: ``moments``, ``shape`` or ``interval``."""
        if self.mean is not None:
            return "moments"
        return "shape" if self.shape is not None else "interval"


class BetaPrior(_Spec):
    """A Beta distribution for a probability, in one of three forms.

    ``{mean, sd}`` (moment-matched; needs ``sd**2 < mean * (1 - mean)``), ``{alpha, beta}``, or an
    interval ``{lower, upper, mass}`` fitted to the maximum-entropy Beta with that mass.
    """

    mean: OpenUnitFloat | None = None
    sd: PositiveFloat | None = None
    alpha: PositiveFloat | None = None
    beta: PositiveFloat | None = None
    lower: UnitFloat | None = None
    upper: UnitFloat | None = None
    mass: OpenUnitFloat | None = None
    _params: tuple[float, float] = PrivateAttr(default=(math.nan, math.nan))

    @model_validator(mode="after")
    def _fit(self) -> BetaPrior:
        form = _form(
            self,
            {
                "moments": ("mean", "sd"),
                "alpha": ("alpha", "beta"),
                "interval": ("lower", "upper", "mass"),
            },
        )
        if form == "moments":
            m, s = self.mean, self.sd
            limit = math.sqrt(m * (1 - m))
            if s >= limit:
                raise ValueError(
                    f"sd {s:g} is too large for mean {m:g}: a Beta needs "
                    f"sd < sqrt(mean * (1 - mean)) = {limit:.4g}; lower the sd"
                )
            nu = m * (1 - m) / s / s - 1  # not s**2, which can underflow to 0
            a, b = m * nu, (1 - m) * nu
        elif form == "alpha":
            a, b = self.alpha, self.beta
        else:
            try:
                a, b = fit_beta_interval(self.lower, self.upper, self.mass or 0.9)
            except ElicitationError as exc:
                raise ValueError(str(exc)) from None
        if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
            raise ValueError(
                f"gives Beta(alpha={a:g}, beta={b:g}); both must be positive and finite "
                "(is the sd far too small for the mean?)"
            )
        if not (PARAM_MIN <= a <= PARAM_MAX and PARAM_MIN <= b <= PARAM_MAX):
            raise ValueError(f"gives Beta(alpha={a:.4g}, beta={b:.4g}); alpha and beta {_EXTREME}")
        self._params = (float(a), float(b))
        return self

    @property
    def params(self) -> tuple[float, float]:
        """``(alpha, beta)`` of the Beta."""
        return self._params

    @property
    def form(self) -> str:
        """Which form the analyst used: ``moments``, ``alpha`` or ``interval``."""
        if self.mean is not None:
            return "moments"
        return "alpha" if self.alpha is not None else "interval"


class ScenarioSpec(_Spec):
    """One scenario of a question."""

    label: Text
    prior: UnitFloat | None = None
    description: str | None = None


class CountIndicator(_Spec):
    """Counts of events: ``y ~ Poisson(rate_k * exposure)``, ``rate_k ~ Gamma``."""

    kind: Literal["count"]
    description: Text
    label: str | None = None
    per_days: PositiveFloat = 1.0
    rate: dict[str, GammaPrior]

    def prior_params(self, scenarios: list[str]) -> np.ndarray:
        """Gamma ``(shape, rate)`` per scenario, shape ``(K, 2)``."""
        return np.array([self.rate[s].params for s in scenarios], dtype=float)


class BinaryIndicator(_Spec):
    """Yes/no observations: ``y ~ Bernoulli(p_k)``, ``p_k ~ Beta``."""

    kind: Literal["binary"]
    description: Text
    label: str | None = None
    probability: dict[str, BetaPrior]

    def prior_params(self, scenarios: list[str]) -> np.ndarray:
        """Beta ``(alpha, beta)`` per scenario, shape ``(K, 2)``."""
        return np.array([self.probability[s].params for s in scenarios], dtype=float)


class CategoricalIndicator(_Spec):
    """One of several states: ``y ~ Categorical(theta_k)``, ``theta_k ~ Dirichlet``.

    Each scenario gives either probabilities per category (``alpha = concentration * p``) or
    ``{alpha: {category: value}}``.
    """

    kind: Literal["categorical"]
    description: Text
    label: str | None = None
    categories: list[Text] = Field(min_length=2)
    concentration: PositiveFloat | None = None
    probabilities: dict[str, dict[str, Any]]

    def prior_params(self, scenarios: list[str]) -> np.ndarray:
        """Dirichlet ``alpha`` per scenario, shape ``(K, C)``."""
        conc = self.concentration if self.concentration is not None else len(self.categories)
        rows = []
        for s in scenarios:
            entry = self.probabilities[s]
            if set(entry) == {"alpha"}:
                rows.append([float(entry["alpha"][c]) for c in self.categories])
            else:
                rows.append([conc * float(entry[c]) for c in self.categories])
        return np.array(rows, dtype=float)


Indicator = Annotated[
    CountIndicator | BinaryIndicator | CategoricalIndicator, Field(discriminator="kind")
]


class Question(_Spec):
    """A forecasting question: mutually exclusive scenarios and the indicators that bear on them.

    Build it from a YAML file with :func:`load_question`, or in Python with keyword arguments
    of the same names as the file's keys.
    """

    ID_HELP: ClassVar[str] = (
        "question id: use lowercase letters, digits and single '-' (e.g. 'syria-coalition')"
    )

    id: str = Field(pattern=QUESTION_ID.pattern)
    title: Text
    question: str | None = None
    resolves: Date | None = None
    scenarios: dict[str, ScenarioSpec] = Field(min_length=2)
    prior_concentration: PositiveFloat | None = None
    indicators: dict[str, Indicator] = Field(min_length=1)
    reliability_codes: dict[str, UnitFloat] | None = None
    _source: str | None = PrivateAttr(default=None)
    _lines: _yaml.LineMap | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_relations(self, info: ValidationInfo) -> Question:
        if info.context and info.context.get("cross_checked"):
            return self
        problems = _cross_check(self.model_dump(mode="python"), _yaml.LineMap(None))
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.message}" for p in problems))
        return self

    # --- derived, array-valued views -------------------------------------------------------
    @property
    def scenario_ids(self) -> list[str]:
        """Scenario ids in declared (display) order."""
        return list(self.scenarios)

    @property
    def labels(self) -> dict[str, str]:
        """Scenario id to label."""
        return {k: s.label for k, s in self.scenarios.items()}

    @property
    def prior(self) -> np.ndarray:
        """Prior scenario probabilities, shape ``(K,)`` (uniform when none are given)."""
        given = [s.prior for s in self.scenarios.values()]
        if all(p is None for p in given):
            return np.full(len(given), 1.0 / len(given))
        p = np.array(given, dtype=float)
        return p / p.sum()

    @property
    def concentration(self) -> float:
        """Dirichlet concentration ``c`` of ``pi ~ Dirichlet(c * prior)``."""
        c = self.prior_concentration
        return float(c) if c is not None else float(len(self.scenarios))

    @property
    def source(self) -> str | None:
        """The file the question was read from, if any."""
        return self._source

    @property
    def lines(self) -> _yaml.LineMap:
        """Line numbers of the question file's values (empty when built in Python)."""
        return self._lines if self._lines is not None else _yaml.LineMap(self._source)

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
    raw, lines = _yaml.load(path)
    return parse_question(raw, lines)


def parse_question(raw: Any, lines: _yaml.LineMap) -> Question:
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
            [lines.problem((), f"a question file must be a mapping of keys, got {_typename(raw)}")]
        )
    problems = _cross_check(raw, lines)
    question = None
    try:
        question = Question.model_validate(raw, context={"cross_checked": True})
    except ValidationError as exc:
        # a value the cross-check already explained (e.g. an unquoted yes) needs no second,
        # generic type error
        explained = {p.field for p in problems}
        problems.extend(
            p
            for p, err in zip(
                pydantic_problems(exc, lines, Question, raw),
                _relevant_errors(exc),
                strict=True,
            )
            if not (p.field in explained and err["type"].endswith("_type"))
        )
    if problems:
        raise InputError(problems)
    assert question is not None
    question._source = lines.source
    question._lines = lines
    return question


# --- checks that relate parts to each other -------------------------------------------------


def _cross_check(raw: Mapping[str, Any], lines: _yaml.LineMap) -> list[Problem]:
    problems: list[Problem] = []

    def bad(path: tuple, message: str) -> None:
        problems.append(lines.problem(path, message))

    scenarios = raw.get("scenarios")
    scenario_ids: list[str] = []
    if isinstance(scenarios, dict):
        scenario_ids = [k for k in scenarios if isinstance(k, str)]
        for sid in scenario_ids:
            if not NAME.match(sid):
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
        elif given and all(_is_number(priors[k]) for k in given):
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
            category_dim(k): k
            for k, v in indicators.items()
            if isinstance(v, dict) and v.get("kind") == "categorical"
        }
        for name in names:
            if not NAME.match(name):
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

    codes = raw.get("reliability_codes")
    if isinstance(codes, dict):
        for key in codes:
            message = check_code_table(key)
            if message:
                bad(("reliability_codes", key), message)
    return problems


def _check_prior_alphas(raw: Mapping[str, Any], priors: dict[str, Any], bad) -> None:
    """``prior_concentration * prior`` (the Dirichlet alphas of the scenarios) must be moderate."""
    values = list(priors.values())
    if not values or (
        any(p is not None for p in values) and not all(_is_number(p) and 0 < p <= 1 for p in values)
    ):
        return  # missing, zero or invalid priors are reported elsewhere
    conc = raw.get("prior_concentration")
    given = _is_number(conc) and math.isfinite(conc) and conc > 0
    c = float(conc) if given else float(len(priors))
    weights = {k: (float(p) if p is not None else 1 / len(priors)) for k, p in priors.items()}
    extreme = [k for k, w in weights.items() if not PARAM_MIN <= c * w <= PARAM_MAX]
    if extreme:
        bad(
            ("prior_concentration",) if given else ("scenarios",),
            f"prior_concentration * prior is {c * weights[extreme[0]]:.4g} for scenario "
            f"'{extreme[0]}'; these Dirichlet alphas {_EXTREME}",
        )


def _check_indicator(
    name: str, ind: Mapping[str, Any], scenarios: list[str], bad, lines: _yaml.LineMap
) -> None:
    base = ("indicators", name)
    kind = ind.get("kind")
    if not isinstance(kind, str):
        return  # a missing or mistyped kind is reported by the schema
    field = {"count": "rate", "binary": "probability", "categorical": "probabilities"}.get(kind)
    if field is None:
        return  # an unknown or missing kind is reported by the schema
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
    if kind != "categorical":
        return
    categories = ind.get("categories")
    if not (isinstance(categories, list) and all(isinstance(c, str) for c in categories)):
        if isinstance(categories, list):
            for i, c in enumerate(categories):
                if not isinstance(c, str):
                    written = lines.text(base + ("categories", i))
                    shown = f"'{written}' (read as {c!r})" if written else repr(c)
                    bad(
                        base + ("categories", i),
                        f"category {shown} must be text; YAML reads "
                        "yes/no/on/off/true/false and numbers as other types, so quote it",
                    )
        return
    dup = sorted({c for c in categories if categories.count(c) > 1})
    if dup:
        bad(base + ("categories",), f"categories must be unique; repeated: {one_of(dup)}")
        categories = list(dict.fromkeys(categories))
    for sid, entry in entries.items():
        path = base + (field, sid)
        if not isinstance(entry, dict):
            bad(
                path,
                f"must be a mapping of category probabilities or {{alpha: ...}}, "
                f"got {_typename(entry)}",
            )
            continue
        if set(entry) == {"alpha"}:
            alpha = entry["alpha"]
            if not isinstance(alpha, dict):
                bad(
                    path + ("alpha",),
                    f"must map each category to a positive number, got {_typename(alpha)}",
                )
                continue
            _check_category_values(alpha, categories, path + ("alpha",), bad, scale=None)
        else:
            conc = ind.get("concentration")
            scale = float(conc) if _is_number(conc) and conc > 0 else float(len(categories))
            _check_category_values(entry, categories, path, bad, scale=scale)


def _check_category_values(
    values: Mapping, categories: list[str], path: tuple, bad, *, scale: float | None
) -> None:
    """Check one scenario's category probabilities (times ``scale``) or, without it, alphas."""
    probabilities = scale is not None
    for c in values:
        if c not in categories:
            hint = " ('alpha' must be the only key when given)" if c == "alpha" else ""
            bad(
                path + (c,),
                f"'{c}' is not a category of this indicator"
                f"{did_you_mean(c, categories)}{hint}; categories are {one_of(categories)}",
            )
    missing = [c for c in categories if c not in values]
    if missing:
        bad(path, f"no value for categor{'ies' if len(missing) > 1 else 'y'} {one_of(missing)}")
    ok = True
    for c, v in values.items():
        if not _is_number(v) or not math.isfinite(float(v)):
            bad(path + (c,), f"must be a number, got {v!r}")
            ok = False
        elif float(v) <= 0:
            what = "probability" if probabilities else "Dirichlet alpha"
            bad(
                path + (c,),
                f"{what} {v!r} must be > 0 (a Dirichlet needs positive parameters; "
                "use a small value such as 0.01 for 'almost never')",
            )
            ok = False
        elif probabilities and float(v) > 1:
            bad(path + (c,), f"probability {v!r} must be at most 1")
            ok = False
        elif not PARAM_MIN <= float(v) * (scale or 1.0) <= PARAM_MAX:
            alpha = float(v) * (scale or 1.0)
            bad(path + (c,), f"gives Dirichlet alpha {alpha:.4g}; Dirichlet alphas {_EXTREME}")
            ok = False
    if probabilities and ok and not missing:
        total = sum(float(values[c]) for c in categories)
        if abs(total - 1.0) > PRIOR_SUM_TOL:
            bad(path, f"category probabilities sum to {total:.6g}; they must sum to 1")


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _typename(v: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "nothing",
    }.get(type(v), type(v).__name__)


# --- turning pydantic errors into located problems ------------------------------------------


def pydantic_problems(
    exc: ValidationError,
    lines: _yaml.LineMap,
    model: type[BaseModel],
    raw: Any,
    *,
    prefix: tuple = (),
) -> list[Problem]:
    """Convert a pydantic ``ValidationError`` into located, readable :class:`Problem` s.

    ``prefix`` is prepended to every location when ``raw`` is a part of a larger document.
    """
    return [error_problem(err, lines, model, raw, prefix=prefix) for err in _relevant_errors(exc)]


def _relevant_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return drop_misspelt_missing(exc.errors(include_url=False))


def drop_misspelt_missing(errors: list[Any]) -> list[Any]:
    """Leave out "required field missing" where the field is present but misspelt.

    ``lable: X`` is reported once, as an unknown field with "did you mean 'label'?", rather than
    also as a missing ``label``.
    """
    unknown: dict[tuple, list] = {}
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"]:
            unknown.setdefault(tuple(err["loc"][:-1]), []).append(err["loc"][-1])
    out = []
    for err in errors:
        if err["type"] == "missing" and err["loc"]:
            name = err["loc"][-1]
            if any(did_you_mean(u, [name]) for u in unknown.get(tuple(err["loc"][:-1]), [])):
                continue
        out.append(err)
    return out


def error_problem(
    err: Mapping[str, Any],
    lines: _yaml.LineMap,
    model: type[BaseModel],
    raw: Any,
    *,
    prefix: tuple = (),
) -> Problem:
    """Convert one pydantic error (as from ``ValidationError.errors()``) into a Problem."""
    loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
    loc = _clean_loc(loc, raw)
    path = tuple(prefix) + loc
    return lines.problem(path, _message(err, loc, model, raw, lines.text(path)))


def _clean_loc(loc: tuple, raw: Any) -> tuple:
    """Drop pydantic's union-member and dict-key markers from a location."""
    out: list = []
    node = raw
    for part in loc:
        if (
            isinstance(part, str)
            and part in ("count", "binary", "categorical")
            and isinstance(node, dict)
            and node.get("kind") == part
        ):
            continue  # discriminated-union tag
        if isinstance(part, str) and part == "[key]":
            continue
        out.append(part)
        node = (
            node.get(part)
            if isinstance(node, dict)
            else (
                node[part]
                if isinstance(node, list) and isinstance(part, int) and part < len(node)
                else None
            )
        )
    return tuple(out)


def _fields_at(model: type[BaseModel], loc: tuple, raw: Any) -> list[str] | None:
    """Valid field names of the model found at ``loc`` (for 'did you mean')."""
    current: Any = model
    node = raw
    i = 0
    while i < len(loc):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(loc[i])
        if info is None:
            return None
        annotation = info.annotation
        node = node.get(loc[i]) if isinstance(node, dict) else None
        i += 1
        if get_origin(annotation) is dict:
            if i >= len(loc):
                return None
            node = node.get(loc[i]) if isinstance(node, dict) else None
            i += 1
            annotation = get_args(annotation)[1]
        current = _resolve_model(annotation, node)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return None


def _resolve_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    members = [m for m in get_args(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    if len(members) == 1:
        return members[0]
    kind = node.get("kind") if isinstance(node, dict) else None
    for m in members:
        tag = m.model_fields.get("kind")
        if tag is not None and get_args(tag.annotation) and get_args(tag.annotation)[0] == kind:
            return m
    return None


_NOUNS = {"scenarios": "scenario", "indicators": "indicator", "categories": "category"}


def _message(
    err: dict, loc: tuple, model: type[BaseModel], raw: Any, written: str | None = None
) -> str:
    kind = err["type"]
    value = err.get("input")
    shown = repr(written) if written is not None else _short(value)
    if kind == "extra_forbidden":
        name = loc[-1] if loc else "?"
        fields = _fields_at(model, loc[:-1], raw) or []
        allowed = f"; allowed here: {', '.join(fields)}" if fields else ""
        return f"unknown field '{name}'{did_you_mean(name, fields)}{allowed}"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_not_found":
        return f"required field 'kind' is missing: give one of {one_of(KINDS)}"
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        return f"kind '{tag}' is not known{did_you_mean(tag, KINDS)}; use {one_of(KINDS)}"
    if kind == "value_error":
        return str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
    if kind == "string_pattern_mismatch" and loc == ("id",) and hasattr(model, "ID_HELP"):
        return f"{value!r} is not a valid {model.ID_HELP}"
    if kind == "string_type":
        quote = " (put it in quotes)" if isinstance(value, int | float) else ""
        return f"must be text, got {shown}{quote}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        fields = _fields_at(model, loc, raw)
        what = f" (fields: {', '.join(fields)})" if fields else ""
        return f"must be a mapping{what}, got {_typename(value)}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing"):
        return f"must be a number, got {shown}"
    if kind == "date_from_datetime_inexact" or (
        kind.startswith("date_") and isinstance(value, dt.datetime)
    ):
        return f"'{value}' has a time of day; give the date only, as YYYY-MM-DD"
    if kind.startswith(("date_", "datetime_")):
        return f"{shown} is not a date; write it as YYYY-MM-DD (e.g. 2025-10-27)"
    if kind == "too_short" and isinstance(value, dict | list):
        least = err.get("ctx", {}).get("min_length")
        name = loc[-1] if loc else None
        noun = _NOUNS.get(name, "entry") if least == 1 else name if name in _NOUNS else "entries"
        owner = "an indicator" if name == "categories" else "a question"
        return f"{owner} needs at least {least} {noun}; got {len(value)}"
    msg = err["msg"]
    return f"{msg[0].lower()}{msg[1:]}; got {shown}"


def short_value(value: Any) -> str:
    """A received value for a message: dates as YYYY-MM-DD, at most 60 characters."""
    if value is None:
        return "nothing"
    text = repr(_plain(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_short = short_value
