"""Input validation: every bad question or evidence file is reported with file, line, field,
the bad value, what is allowed and (for misspelt names) what was probably meant.

One test per rule. Each writes YAML into ``tmp_path``, loads it with ``load_question`` or
``load_evidence`` and checks the located :class:`Problem` (line, field, message).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
import tracemalloc
from contextlib import nullcontext
from pathlib import Path

import pytest
import yaml
from builders import BUNDLED_EVIDENCE, BUNDLED_QUESTION
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecasting as fc
from forecasting import ForecastingWarning, InputError, Problem

# --- a small, valid question and ledger to break one rule at a time ---------------------------

QUESTION = """\
id: test-q
title: Test question
resolves: 2026-06-30
scenarios:
  accession:
    label: Formal accession
    prior: 0.5
  informal:
    label: Informal coordination
    prior: 0.5
indicators:
  joint_ops:
    kind: count
    description: joint operations
    per_days: 30
    rate:
      accession: {shape: 4, rate: 2}
      informal: {mean: 1, sd: 0.5}
  agreement:
    kind: binary
    description: an agreement is in force
    probability:
      accession: {alpha: 8, beta: 2}
      informal: {mean: 0.4, sd: 0.15}
  tone:
    kind: categorical
    description: tone of statements
    categories: [supportive, hostile]
    probabilities:
      accession: {supportive: 0.7, hostile: 0.3}
      informal: {alpha: {supportive: 2, hostile: 2}}
"""

ITEMS = """\
- id: ops-1
  indicator: joint_ops
  value: 3
  window: [2025-07-01, 2025-10-01]
  date: 2025-10-02
  source: a report
  reliability: B2
- id: agreement-1
  indicator: agreement
  value: true
  date: 2025-10-02
  source: a report
  reliability: 0.6
- id: tone-1
  indicator: tone
  value: supportive
  date: 2025-10-03
  source: an envoy
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    hits = [k for k, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not in the test text"
    return hits[nth - 1]


def edit(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence (so a test cannot silently edit nothing)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def question_errors(tmp_path: Path, text: str | bytes) -> tuple[Problem, ...]:
    path = write(tmp_path / "models" / "q.yaml", text)
    with pytest.raises(InputError) as info:
        fc.load_question(path)
    for p in info.value.problems:
        assert p.file == str(path)
    return info.value.problems


def load_items(tmp_path: Path, files: dict[str, str | bytes], question_text: str = QUESTION):
    question = fc.load_question(write(tmp_path / "models" / "q.yaml", question_text))
    folder = tmp_path / "evidence" / question.id
    for name, text in files.items():
        write(folder / name, text)
    return fc.load_evidence(folder, question)


def evidence_errors(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as info:
        load_items(tmp_path, files)
    return info.value.problems


def only(problems, *, line: int | None, field: str | None, match: str) -> Problem:
    """Assert there is exactly one problem, at ``line`` and ``field``, matching ``match``."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    return has(problems, line=line, field=field, match=match)


def has(problems, *, line: int | None, field: str | None, match: str) -> Problem:
    """Assert one of the problems is at ``line`` and ``field`` (if given) and matches ``match``."""
    for p in problems:
        if (field is None or p.field == field) and p.line == line and re.search(match, p.message):
            return p
    shown = "\n".join(map(str, problems))
    raise AssertionError(f"no problem at line {line}, field {field!r} matching {match!r}:\n{shown}")


def test_base_files_are_valid(tmp_path):
    evidence = load_items(tmp_path, {"a.yaml": ITEMS})
    assert evidence.ids == ["ops-1", "agreement-1", "tone-1"]
    assert evidence.items[0].exposure == pytest.approx(92 / 30)


def test_problem_prints_as_file_line_field_message():
    p = Problem("models/q.yaml", 7, "scenarios.a.prior", "bad")
    assert str(p) == "models/q.yaml:7: scenarios.a.prior: bad"


# --- the question file: YAML itself -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle", "match"),
    [
        # an unclosed bracket is reported where it opens, not where the parser gave up
        ("title: Test question", "title: [Test question", "title:", r"bracket missing"),
        ("    label: Informal", "\tlabel: Informal", "\tlabel", r"tabs.*use spaces"),
        ("    per_days: 30\n", "    per_days: 30\n  - oops\n", "- oops", r"expected key"),
        ("title: Test question", "title: Test: question", "title:", r"mapping values"),
    ],
    ids=["unclosed-bracket", "tab", "list-in-mapping", "colon-in-value"],
)
def test_malformed_yaml_names_the_line(tmp_path, old, new, needle, match):
    text = edit(QUESTION, old, new)
    problem = only(
        question_errors(tmp_path, text), line=line_of(text, needle), field="", match=match
    )
    assert problem.message.startswith("malformed YAML")


def test_unclosed_quote_is_reported_where_it_opens(tmp_path):
    text = 'id: test-q\ntitle: "Test question\nscenarios: {}\n'
    only(question_errors(tmp_path, text), line=2, field="", match=r"quote or bracket missing")


def test_duplicate_mapping_key(tmp_path):
    text = edit(QUESTION, "title: Test question\n", "title: Test question\ntitle: Again\n")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "title: Again"),
        field="title",
        match=r"key 'title' appears twice",
    )


def test_duplicate_scenario_id(tmp_path):
    text = edit(QUESTION, "  informal:\n    label", "  accession:\n    label")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "  accession:", 2),
        field="scenarios.accession",
        match=r"appears twice",
    )


def test_empty_question_file(tmp_path):
    for text in ("", "# only a comment\n", "---\n"):
        only(question_errors(tmp_path, text), line=1, field="", match=r"question file is empty")


def test_question_file_must_be_a_mapping(tmp_path):
    only(
        question_errors(tmp_path, "- a\n- b\n"),
        line=1,
        field="",
        match=r"must be a mapping of keys, got a list",
    )


def test_question_file_not_utf8(tmp_path):
    text = QUESTION.encode().replace(b"Test question", b"Test \xe9 question")
    only(
        question_errors(tmp_path, text),
        line=2,
        field="",
        match=r"not valid UTF-8 \(byte 0xe9.*save it as UTF-8",
    )


def test_nul_byte_is_refused(tmp_path):
    text = QUESTION.encode().replace(b"Test question", b"Test\x00question")
    only(question_errors(tmp_path, text), line=2, field="", match=r"NUL character")


def test_python_object_tag_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    text = edit(
        QUESTION,
        "title: Test question",
        f'title: !!python/object/apply:os.system ["touch {marker}"]',
    )
    only(
        question_errors(tmp_path, text),
        line=2,
        field="title",
        match=r"tag '!!python/object/apply:os.system' is not allowed.*plain data",
    )
    assert not marker.exists()


def test_custom_tag_is_refused(tmp_path):
    text = edit(QUESTION, "title: Test question", "title: !foo Test question")
    only(question_errors(tmp_path, text), line=2, field="title", match=r"tag '!foo' is not allowed")


def test_alias_bomb_fails_fast_and_small(tmp_path):
    """'Billion laughs': 9 levels of 9 aliases would expand to ~400 million values."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, 10):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]")
    path = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\n")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(InputError) as info:
            fc.load_question(path)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    only(info.value.problems, line=1, field="", match=r"aliases expand .*billion laughs")
    assert elapsed < 2.0
    assert peak < 20 * 2**20


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a\n  b: *a\n"], ids=["list", "mapping"])
def test_recursive_alias(tmp_path, text):
    only(question_errors(tmp_path, text), line=1, field="", match=r"recursive structure")


def test_merge_key_is_refused(tmp_path):
    text = QUESTION + "extra: &x {a: 1}\nmore:\n  <<: *x\n"
    has(
        question_errors(tmp_path, text),
        line=line_of(text, "<<"),
        field="more",
        match=r"merge keys \('<<'\) are not supported",
    )


# --- the question file: schema ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        (
            "    label: Formal accession",
            "    lable: Formal accession",
            "scenarios.accession.lable",
            r"unknown field 'lable' \(did you mean 'label'\?\); allowed here: label, prior",
        ),
        (
            "    per_days: 30",
            "    per_day: 30",
            "indicators.joint_ops.per_day",
            r"unknown field 'per_day' \(did you mean 'per_days'\?\)",
        ),
        (
            "informal: {mean: 1, sd: 0.5}",
            "informal: {mean: 1, sdd: 0.5}",
            "indicators.joint_ops.rate.informal.sdd",
            r"unknown field 'sdd' \(did you mean 'sd'\?\)",
        ),
        (
            "title: Test question",
            "titel: Test question",
            "titel",
            r"unknown field 'titel' \(did you mean 'title'\?\)",
        ),
    ],
    ids=["lable", "per_day", "sdd", "titel"],
)
def test_unknown_field_says_did_you_mean(tmp_path, old, new, field, match):
    """Reported once, as a misspelling: not also as a missing required field."""
    text = edit(QUESTION, old, new)
    only(question_errors(tmp_path, text), line=line_of(text, new.strip()), field=field, match=match)


def test_missing_required_field(tmp_path):
    text = edit(QUESTION, "title: Test question\n", "")
    only(question_errors(tmp_path, text), line=1, field="title", match=r"required field is missing")


def test_missing_indicator_kind(tmp_path):
    text = edit(QUESTION, "    kind: binary\n", "")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "  agreement:"),
        field="indicators.agreement",
        match=r"'kind' is missing: give one of 'count', 'binary', 'categorical' or 'continuous'",
    )


def test_unknown_indicator_kind(tmp_path):
    text = edit(QUESTION, "kind: binary", "kind: binery")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "  agreement:"),
        field="indicators.agreement",
        match=r"kind 'binery' is not known \(did you mean 'binary'\?\)",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        ("per_days: 30", "per_days: many", "indicators.joint_ops.per_days", r"number, got 'many'"),
        ("title: Test question", "title: [a, b]", "title", r"must be text, got \['a', 'b'\]"),
        ("id: test-q", "id: 12", "id", r"must be text, got 12 \(put it in quotes\)"),
        ("prior: 0.5\n  informal", "prior: yes\n  informal", "scenarios.accession.prior", "'yes'"),
        ("scenarios:\n", "scenarios: [a, b]\nunused:\n", "scenarios", r"mapping, got a list"),
    ],
    ids=["text-for-number", "list-for-text", "number-for-text", "yes-for-number", "list-for-map"],
)
def test_wrong_type(tmp_path, old, new, field, match):
    text = edit(QUESTION, old, new)
    needle = new.splitlines()[0]
    has(question_errors(tmp_path, text), line=line_of(text, needle), field=field, match=match)


def test_scenario_without_fields(tmp_path):
    text = edit(QUESTION, "    label: Informal coordination\n    prior: 0.5\n", "")
    text = edit(text, "    prior: 0.5\n", "    prior: 1.0\n")
    has(
        question_errors(tmp_path, text),
        line=line_of(text, "  informal:"),
        field="scenarios.informal",
        match=r"must be a mapping \(fields: label, prior, description\), got nothing",
    )


def test_question_id_pattern(tmp_path):
    text = edit(QUESTION, "id: test-q", "id: Test_Q")
    only(
        question_errors(tmp_path, text),
        line=1,
        field="id",
        match=r"'Test_Q' is not a valid question id: use lowercase letters, digits and single '-'",
    )


@pytest.mark.parametrize(
    ("new", "match"),
    [
        ("prior", r"'prior' is reserved or already a scenario id"),
        ("scenario", r"'scenario' is reserved"),
        ("informal", r"'informal' is reserved or already a scenario id"),
        ("Agreement", r"must be lowercase letters, digits and single underscores"),
    ],
)
def test_indicator_id_clashes_and_pattern(tmp_path, new, match):
    text = edit(QUESTION, "  agreement:\n", f"  {new}:\n")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "kind: binary") - 1,
        field=f"indicators.{new}",
        match=match,
    )


def test_scenario_id_reserved(tmp_path):
    text = QUESTION.replace("accession", "pi")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "  pi:"),
        field="scenarios.pi",
        match=r"'pi' is reserved for the engine",
    )


def test_fewer_than_two_scenarios(tmp_path):
    text = edit(QUESTION, "  informal:\n    label: Informal coordination\n    prior: 0.5\n", "")
    text = text.replace("    prior: 0.5", "    prior: 1.0")
    problems = question_errors(tmp_path, text)
    has(
        problems,
        line=line_of(text, "scenarios:"),
        field="scenarios",
        match=r"a question needs at least 2 scenarios; got 1",
    )


def test_no_indicators(tmp_path):
    text = QUESTION.split("indicators:")[0] + "indicators: {}\n"
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "indicators:"),
        field="indicators",
        match=r"needs at least 1 indicator; got 0",
    )


@pytest.mark.parametrize(
    ("date", "match"),
    [
        ("2025-13-45", r"'2025-13-45' is not a valid date \(month must be in 1..12\)"),
        ("yesterday", r"'yesterday' is not a date"),
        ("20260630", r"20260630 is not a date"),
    ],
    ids=["2025-13-45", "yesterday", "number"],
)
def test_invalid_date_in_question(tmp_path, date, match):
    text = edit(QUESTION, "resolves: 2026-06-30", f"resolves: {date}")
    problem = only(question_errors(tmp_path, text), line=3, field="resolves", match=match)
    assert "YYYY-MM-DD" in problem.message


# --- the question file: likelihoods and priors ------------------------------------------------


def test_unknown_scenario_in_likelihood(tmp_path):
    text = edit(QUESTION, "informal: {mean: 0.4, sd: 0.15}", "informl: {mean: 0.4, sd: 0.15}")
    problems = question_errors(tmp_path, text)
    has(
        problems,
        line=line_of(text, "informl:"),
        field="indicators.agreement.probability.informl",
        match=r"'informl' is not a scenario of this question \(did you mean 'informal'\?\); "
        r"scenarios are 'accession' or 'informal'",
    )


def test_likelihood_missing_for_scenario(tmp_path):
    text = edit(QUESTION, "      informal: {mean: 1, sd: 0.5}\n", "")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "    rate:"),
        field="indicators.joint_ops.rate",
        match=r"no likelihood for scenario 'informal': every indicator needs an entry for every",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        (
            "prior: 0.5\n  informal",
            "prior: 1.5\n  informal",
            "scenarios.accession.prior",
            r"less than or equal to 1; got 1.5",
        ),
        (
            "informal: {mean: 0.4, sd: 0.15}",
            "informal: {mean: 1.4, sd: 0.15}",
            "indicators.agreement.probability.informal.mean",
            r"less than 1; got 1.4",
        ),
        (
            "accession: {supportive: 0.7, hostile: 0.3}",
            "accession: {supportive: 1.3, hostile: -0.3}",
            "indicators.tone.probabilities.accession.hostile",
            r"probability -0.3 must be > 0",
        ),
        (
            "accession: {supportive: 0.7, hostile: 0.3}",
            "accession: {supportive: 1.3, hostile: -0.3}",
            "indicators.tone.probabilities.accession.supportive",
            r"probability 1.3 must be at most 1",
        ),
    ],
    ids=["prior", "beta-mean", "categorical-negative", "categorical-above-one"],
)
def test_probability_outside_unit_interval(tmp_path, old, new, field, match):
    text = edit(QUESTION, old, new)
    needle = new.splitlines()[0]
    has(question_errors(tmp_path, text), line=line_of(text, needle), field=field, match=match)


def test_categorical_probabilities_not_summing_to_one(tmp_path):
    text = edit(QUESTION, "{supportive: 0.7, hostile: 0.3}", "{supportive: 0.7, hostile: 0.4}")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "hostile: 0.4"),
        field="indicators.tone.probabilities.accession",
        match=r"category probabilities sum to 1.1; they must sum to 1",
    )


def test_categorical_category_misspelt(tmp_path):
    text = edit(QUESTION, "{supportive: 0.7, hostile: 0.3}", "{suportive: 0.7, hostile: 0.3}")
    has(
        question_errors(tmp_path, text),
        line=line_of(text, "suportive"),
        field="indicators.tone.probabilities.accession.suportive",
        match=r"not a category of this indicator \(did you mean 'supportive'\?\)",
    )


def test_unquoted_yes_as_category(tmp_path):
    text = edit(QUESTION, "categories: [supportive, hostile]", "categories: [yes, no]")
    problems = question_errors(tmp_path, text)
    has(
        problems,
        line=line_of(text, "categories:"),
        field="indicators.tone.categories[0]",
        match=r"category 'yes' \(read as True\) must be text.*quote it",
    )
    # no second, generic type error for the same value
    assert [p.field for p in problems].count("indicators.tone.categories[0]") == 1


def test_priors_not_summing_to_one(tmp_path):
    text = edit(QUESTION, "    prior: 0.5\n  informal", "    prior: 0.6\n  informal")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "scenarios:"),
        field="scenarios",
        match=r"scenario priors sum to 1.1; they must sum to 1",
    )


def test_priors_for_some_but_not_all_scenarios(tmp_path):
    text = edit(QUESTION, "    prior: 0.5\n  informal", "  informal")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "scenarios:"),
        field="scenarios",
        match=r"prior is given for some scenarios but not for 'accession'; give it for all or none",
    )


def test_zero_prior(tmp_path):
    text = edit(QUESTION, "    prior: 0.5\n  informal", "    prior: 0\n  informal")
    text = edit(text, "    prior: 0.5\n", "    prior: 1\n")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "prior: 0"),
        field="scenarios.accession.prior",
        match=r"a prior of 0 rules the scenario out",
    )


def test_infeasible_beta(tmp_path):
    text = edit(QUESTION, "{mean: 0.4, sd: 0.15}", "{mean: 0.4, sd: 0.6}")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "sd: 0.6"),
        field="indicators.agreement.probability.informal",
        match=r"sd 0.6 is too large for mean 0.4: a Beta needs sd < sqrt\(mean \* \(1 - mean\)\) "
        r"= 0.4899",
    )


def test_incomplete_distribution_form(tmp_path):
    text = edit(QUESTION, "{mean: 0.4, sd: 0.15}", "{mean: 0.4}")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "{mean: 0.4}"),
        field="indicators.agreement.probability.informal",
        match=r"give exactly one of the forms \{mean, sd\}; \{alpha, beta\}; "
        r"\{lower, upper, mass\}; got \{mean\}",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        ("{shape: 4, rate: 2}", "{shape: -4, rate: 2}", "rate.accession.shape", r"> 0|greater"),
        ("{shape: 4, rate: 2}", "{shape: 4, rate: 0}", "rate.accession.rate", r"greater than 0"),
        ("{mean: 1, sd: 0.5}", "{mean: 1, sd: 0}", "rate.informal.sd", r"greater than 0; got 0"),
    ],
    ids=["negative-shape", "zero-rate", "zero-sd"],
)
def test_non_positive_gamma_parameter(tmp_path, old, new, field, match):
    text = edit(QUESTION, old, new)
    only(
        question_errors(tmp_path, text),
        line=line_of(text, new),
        field=f"indicators.joint_ops.{field}",
        match=match,
    )


@pytest.mark.parametrize("value", ["0", "-2"])
def test_non_positive_dirichlet_parameter(tmp_path, value):
    text = edit(QUESTION, "{supportive: 2, hostile: 2}", f"{{supportive: 2, hostile: {value}}}")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, f"hostile: {value}}}"),
        field="indicators.tone.probabilities.informal.alpha.hostile",
        match=rf"Dirichlet alpha {value} must be > 0 .*small value such as 0.01",
    )


@pytest.mark.parametrize(
    ("new", "match"),
    [
        ("{lower: 0, upper: 2, mass: 0.3}", r"mass \(0.3\) must be greater than 1/e"),
        ("{lower: 3, upper: 1, mass: 0.9}", r"lower \(3.0\) must be less than upper \(1.0\)"),
        ("{lower: 1, upper: 1.0000001, mass: 0.99}", r"too narrow for this mass.*widen"),
    ],
    ids=["low-mass-from-zero", "reversed", "too-narrow"],
)
def test_interval_elicitation_that_cannot_be_fitted(tmp_path, new, match):
    text = edit(QUESTION, "{shape: 4, rate: 2}", new)
    only(
        question_errors(tmp_path, text),
        line=line_of(text, new),
        field="indicators.joint_ops.rate.accession",
        match=match,
    )


def test_beta_interval_covering_everything(tmp_path):
    text = edit(QUESTION, "{alpha: 8, beta: 2}", "{lower: 0, upper: 1, mass: 0.9}")
    only(
        question_errors(tmp_path, text),
        line=line_of(text, "lower: 0, upper: 1"),
        field="indicators.agreement.probability.accession",
        match=r"covers the whole support of the Beta",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "match"),
    [
        (
            "{alpha: 8, beta: 2}",
            "{alpha: 8e8, beta: 2}",
            "indicators.agreement.probability.accession",
            r"Beta\(alpha=8e\+08, beta=2\); alpha and beta must lie between 1e-15 and 1e\+06",
        ),
        (
            "{mean: 0.4, sd: 0.15}",
            "{mean: 0.4, sd: 1.0e-200}",  # sd**2 underflows to 0
            "indicators.agreement.probability.informal",
            r"gives Beta\(alpha=inf, beta=inf\); both must be positive and finite",
        ),
        (
            "{mean: 1, sd: 0.5}",
            "{mean: 1, sd: 1.0e-5}",
            "indicators.joint_ops.rate.informal",
            r"gives Gamma\(shape=1e\+10, rate=1e\+10\); the shape must lie between",
        ),
        (
            "{supportive: 2, hostile: 2}",
            "{supportive: 2, hostile: 1.0e-16}",
            "indicators.tone.probabilities.informal.alpha.hostile",
            r"gives Dirichlet alpha 1e-16; Dirichlet alphas must lie between",
        ),
        (
            "title: Test question\n",
            "title: Test question\nprior_concentration: 1.0e+300\n",
            "prior_concentration",
            r"prior_concentration \* prior is 5e\+299 for scenario 'accession'",
        ),
    ],
    ids=["beta-alpha", "beta-sd-underflow", "gamma-shape", "dirichlet-alpha", "concentration"],
)
def test_degenerate_distribution(tmp_path, old, new, field, match):
    """Parameters so extreme that the distribution is a point mass (and the engine would lose
    precision or produce NaN) are refused."""
    text = edit(QUESTION, old, new)
    needle = new.splitlines()[-1]
    only(question_errors(tmp_path, text), line=line_of(text, needle), field=field, match=match)


def test_reliability_code_table(tmp_path):
    text = QUESTION + "reliability_codes:\n  b2: 0.5\n  B3: 1.5\n"
    problems = question_errors(tmp_path, text)
    assert len(problems) == 2
    has(
        problems,
        line=line_of(text, "b2:"),
        field="reliability_codes.b2",
        match=r"'b2' is not an Admiralty key \(did you mean 'B2'\?\)",
    )
    has(
        problems,
        line=line_of(text, "B3:"),
        field="reliability_codes.B3",
        match=r"less than or equal to 1; got 1.5",
    )


def test_exponent_numbers_are_numbers(tmp_path):
    """YAML 1.1 reads ``2e-1`` as text; numbers like that are read as numbers here."""
    text = edit(QUESTION, "{mean: 0.4, sd: 0.15}", "{mean: 4e-1, sd: 1.5e-1}")
    question = fc.load_question(write(tmp_path / "q.yaml", text))
    assert question.indicators["agreement"].probability["informal"].mean == 0.4


def test_all_problems_at_once(tmp_path):
    text = edit(QUESTION, "    label: Formal accession", "    lable: Formal accession")
    text = edit(text, "per_days: 30", "per_days: -30")
    text = edit(text, "{supportive: 0.7, hostile: 0.3}", "{supportive: 0.7, hostile: 0.4}")
    problems = question_errors(tmp_path, text)
    assert [(p.line, p.field) for p in problems] == [
        (line_of(text, "lable:"), "scenarios.accession.lable"),
        (line_of(text, "per_days:"), "indicators.joint_ops.per_days"),
        (line_of(text, "hostile: 0.4"), "indicators.tone.probabilities.accession"),
    ]
    assert re.search(r"did you mean 'label'", problems[0].message)
    assert re.search(r"greater than 0; got -30", problems[1].message)
    assert re.search(r"sum to 1.1", problems[2].message)


# --- the evidence ledger ----------------------------------------------------------------------


def test_duplicate_item_id_within_a_file(tmp_path):
    text = edit(ITEMS, "- id: agreement-1", "- id: ops-1")
    problem = only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "- id: ops-1", 2),
        field="[1].id",
        match=r"item id 'ops-1' is used twice \(first at .*a\.yaml:1\)",
    )
    assert problem.file.endswith("a.yaml")


def test_duplicate_item_id_across_files(tmp_path):
    second = (
        "- id: ops-1\n  indicator: agreement\n  value: false\n  date: 2025-10-05\n  source: x\n"
    )
    problem = only(
        evidence_errors(tmp_path, {"a.yaml": ITEMS, "b.yaml": second}),
        line=1,
        field="[0].id",
        match=r"item id 'ops-1' is used twice \(first at .*a\.yaml:1\); ids must be unique across",
    )
    assert problem.file.endswith("b.yaml")


def test_unknown_indicator_in_item(tmp_path):
    text = edit(ITEMS, "indicator: agreement", "indicator: agreemnt")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "agreemnt"),
        field="[1].indicator",
        match=r"'agreemnt' is not an indicator of question 'test-q' "
        r"\(did you mean 'agreement'\?\); indicators are 'joint_ops', 'agreement' or 'tone'",
    )


def test_unknown_field_in_item(tmp_path):
    text = edit(ITEMS, "  source: an envoy", "  sorce: an envoy")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "sorce"),
        field="[2].sorce",
        match=r"unknown field 'sorce' \(did you mean 'source'\?\)",
    )


def test_missing_fields_in_item(tmp_path):
    text = edit(ITEMS, "  date: 2025-10-03\n  source: an envoy\n", "")
    problems = evidence_errors(tmp_path, {"a.yaml": text})
    assert len(problems) == 2
    for field in ("[2].date", "[2].source"):
        has(problems, line=line_of(text, "- id: tone-1"), field=field, match=r"required field")


def test_evidence_file_must_be_a_list(tmp_path):
    only(
        evidence_errors(tmp_path, {"a.yaml": "id: x\nindicator: tone\n"}),
        line=1,
        field="",
        match=r"must be a list of items, got a mapping \(start each item with '- '\)",
    )


def test_item_id_pattern(tmp_path):
    text = edit(ITEMS, "- id: tone-1", "- id: tone 1")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "tone 1"),
        field="[2].id",
        match=r"'tone 1' is not a valid item id: .*no spaces",
    )


@pytest.mark.parametrize(
    ("value", "match"),
    [("-3", r"got -3 \(negative\)"), ("2.5", r"got 2.5 \(fractional\)"), ("three", "got 'three'")],
    ids=["negative", "fractional", "text"],
)
def test_bad_count(tmp_path, value, match):
    text = edit(ITEMS, "  value: 3\n", f"  value: {value}\n")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=3,
        field="[0].value",
        match=r"a count must be a whole number >= 0, " + match,
    )


def test_binary_value_must_be_true_or_false(tmp_path):
    text = edit(ITEMS, "  value: true\n", "  value: 1\n")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "value: 1"),
        field="[1].value",
        match=r"binary indicator's value must be true or false, got 1",
    )


def test_categorical_value_misspelt(tmp_path):
    text = edit(ITEMS, "value: supportive", "value: suportive")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "suportive"),
        field="[2].value",
        match=r"'suportive' is not a category of 'tone' \(did you mean 'supportive'\?\)",
    )


def test_unquoted_yes_as_categorical_value(tmp_path):
    question = edit(QUESTION, "categories: [supportive, hostile]", 'categories: ["yes", "no"]')
    question = edit(question, "{supportive: 0.7, hostile: 0.3}", '{"yes": 0.7, "no": 0.3}').replace(
        "{supportive: 2, hostile: 2}", '{"yes": 2, "no": 2}'
    )
    text = edit(ITEMS, "value: supportive", "value: yes")
    with pytest.raises(InputError) as info:
        load_items(tmp_path, {"a.yaml": text}, question)
    only(
        info.value.problems,
        line=line_of(text, "value: yes"),
        field="[2].value",
        match=r"got yes unquoted, which YAML reads as true: quote it, value: 'yes'",
    )


def test_quoted_yes_is_accepted(tmp_path):
    question = QUESTION.replace("supportive", "yes").replace("hostile", "no")
    question = question.replace("[yes, no]", '["yes", "no"]').replace("{yes:", '{"yes":')
    question = question.replace(" no:", ' "no":')
    text = edit(ITEMS, "value: supportive", 'value: "yes"')
    assert load_items(tmp_path, {"a.yaml": text}, question).items[2].value == "yes"


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("1.5", r"between 0 and 1 or an Admiralty code such as 'B2', got 1.5"),
        ("-0.1", r"between 0 and 1 .*got -0.1"),
        ("true", r"between 0 and 1 .*got 'true' \(read as True\)"),
    ],
    ids=["above-one", "negative", "bool"],
)
def test_reliability_outside_unit_interval(tmp_path, value, match):
    text = edit(ITEMS, "reliability: 0.6", f"reliability: {value}")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, f"reliability: {value}"),
        field="[1].reliability",
        match=match,
    )


@pytest.mark.parametrize("code", ["G7", "B9", "B", "2B"])
def test_invalid_admiralty_code(tmp_path, code):
    text = edit(ITEMS, "reliability: B2", f"reliability: {code}")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, f"reliability: {code}"),
        field="[0].reliability",
        match=rf"'{code}' is not an Admiralty code: a source letter A-F then an information digit",
    )


def test_admiralty_code_is_case_insensitive(tmp_path):
    """Decision: 'b2' means B2 (codes are read case-insensitively and stored in capitals)."""
    text = edit(ITEMS, "reliability: B2", "reliability: ' b2'")
    item = load_items(tmp_path, {"a.yaml": text}).items[0]
    assert item.reliability == "B2"
    assert item.weight == pytest.approx(0.64)


def test_window_ends_before_it_starts(tmp_path):
    text = edit(ITEMS, "[2025-07-01, 2025-10-01]", "[2025-10-01, 2025-07-01]")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=4,
        field="[0].window",
        match=r"window ends \(2025-07-01\) before it starts \(2025-10-01\); swap the dates",
    )


def test_zero_length_window(tmp_path):
    text = edit(ITEMS, "[2025-07-01, 2025-10-01]", "[2025-10-01, 2025-10-01]")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=4,
        field="[0].window",
        match=r"zero length; the end is exclusive, so a one-day window is \[day, next day\]",
    )


@pytest.mark.parametrize(
    ("window", "match"),
    [
        ("[2025-07-01]", r"must be \[start date, end date\].*got \['2025-07-01'\]"),
        ("[yesterday, today]", r"must be \[start date, end date\].*got \['yesterday', 'today'\]"),
        ("[2025-07-01T10:00:00, 2025-10-01]", r"has a time of day; give the date only"),
    ],
    ids=["one-date", "words", "time-of-day"],
)
def test_malformed_window(tmp_path, window, match):
    text = edit(ITEMS, "[2025-07-01, 2025-10-01]", window)
    problem = only(evidence_errors(tmp_path, {"a.yaml": text}), line=4, field=None, match=match)
    assert problem.field.startswith("[0].window")


def test_window_and_exposure_both_given(tmp_path):
    text = edit(
        ITEMS,
        "  window: [2025-07-01, 2025-10-01]\n",
        "  window: [2025-07-01, 2025-10-01]\n  exposure: 2\n",
    )
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=4,
        field="[0].window",
        match=r"give either 'window' or 'exposure', not both",
    )


def test_window_and_exposure_both_missing(tmp_path):
    text = edit(ITEMS, "  window: [2025-07-01, 2025-10-01]\n", "")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=1,
        field="[0]",
        match=r"a count item needs 'window: \[start, end\]' or 'exposure' \(in units of "
        r"per_days = 30 days\)",
    )


@pytest.mark.parametrize("exposure", ["0", "-1", "yes", ".inf"])
def test_bad_exposure(tmp_path, exposure):
    text = edit(ITEMS, "  window: [2025-07-01, 2025-10-01]\n", f"  exposure: {exposure}\n")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=4,
        field="[0].exposure",
        match=r"must be a number > 0 \(in units of per_days = 30 days\)",
    )


@pytest.mark.parametrize(
    ("key", "value", "index", "kind", "needle"),
    [
        ("window", "[2025-07-01, 2025-10-01]", 1, "binary", "  value: true\n"),
        ("exposure", "2", 2, "categorical", "  value: supportive\n"),
    ],
)
def test_window_or_exposure_on_a_non_count_item(tmp_path, key, value, index, kind, needle):
    text = edit(ITEMS, needle, f"{needle}  {key}: {value}\n")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, f"  {key}: {value}", 2 if key == "window" else 1),
        field=f"[{index}].{key}",
        match=rf"'{key}' applies only to count indicators; '\w+' is {kind}",
    )


@pytest.mark.parametrize(
    ("date", "match"),
    [
        ("2025-13-45", r"'2025-13-45' is not a valid date \(month must be in 1..12\); use YYYY-MM"),
        ("yesterday", r"'yesterday' is not a date; write it as YYYY-MM-DD"),
        ("2025-10-02T10:30:00", r"'2025-10-02 10:30:00' has a time of day; give the date only"),
        ("0", r"0 is not a date; write it as YYYY-MM-DD"),
    ],
    ids=["2025-13-45", "yesterday", "time-of-day", "number"],
)
def test_invalid_date_in_item(tmp_path, date, match):
    text = edit(ITEMS, "  date: 2025-10-03\n", f"  date: {date}\n")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, f"date: {date}"),
        field="[2].date",
        match=match,
    )


def test_empty_evidence_file_warns_and_adds_nothing(tmp_path):
    with pytest.warns(ForecastingWarning, match=r"empty\.yaml is empty: it adds no evidence"):
        evidence = load_items(tmp_path, {"empty.yaml": "# nothing yet\n", "a.yaml": ITEMS})
    assert len(evidence) == 3


def test_only_an_empty_evidence_file(tmp_path):
    with pytest.warns(ForecastingWarning, match=r"is empty"):
        evidence = load_items(tmp_path, {"empty.yaml": ""})
    assert len(evidence) == 0


def test_evidence_file_not_utf8(tmp_path):
    text = ITEMS.encode("utf-8").replace(b"an envoy", b"an envoy \xff")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(ITEMS, "an envoy"),
        field="",
        match=r"not valid UTF-8 \(byte 0xff",
    )


def test_tag_in_evidence_is_refused(tmp_path):
    text = edit(ITEMS, "  source: an envoy", "  source: !!python/name:os.system ''")
    only(
        evidence_errors(tmp_path, {"a.yaml": text}),
        line=line_of(text, "python/name"),
        field="[2].source",
        match=r"tag '!!python/name:os.system' is not allowed",
    )


def test_question_id_does_not_match_evidence_folder(tmp_path):
    question = fc.load_question(write(tmp_path / "models" / "q.yaml", QUESTION))
    folder = tmp_path / "evidence" / "other-question"
    write(folder / "a.yaml", ITEMS)
    with pytest.raises(InputError) as info:
        fc.load_evidence(folder, question)
    problem = only(
        info.value.problems,
        line=None,
        field="",
        match=r"folder is named 'other-question' but the question id is 'test-q'; evidence for "
        r"it belongs in evidence/test-q/",
    )
    assert problem.file == str(folder)


def test_all_evidence_problems_at_once(tmp_path):
    a = edit(ITEMS, "  value: 3\n", "  value: -1\n")
    b = "- id: other\n  indicator: tonne\n  value: hostile\n  date: 2025-10-05\n  source: x\n"
    problems = evidence_errors(tmp_path, {"a.yaml": a, "b.yaml": b})
    assert [(Path(p.file).name, p.line, p.field) for p in problems] == [
        ("a.yaml", 3, "[0].value"),
        ("b.yaml", 2, "[0].indicator"),
    ]


# --- property tests: any input gives a result or an InputError, never another exception -------

SCHEMA_KEYS = [
    "id", "title", "question", "resolves", "scenarios", "prior_concentration", "indicators",
    "reliability_codes", "label", "prior", "description", "kind", "count", "binary",
    "categorical", "per_days", "rate", "probability", "probabilities", "categories",
    "concentration", "alpha", "beta", "mean", "sd", "shape", "lower", "upper", "mass",
    "indicator", "value", "window", "exposure", "date", "source", "reliability", "note", "url",
    "accession", "informal", "joint_ops", "agreement", "tone", "supportive", "hostile", "B2",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["B2", "G7", "yes", "supportive", "2025-10-02", "", "count", "binary"]),
    st.text(max_size=12),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
)
keys = st.one_of(st.sampled_from(SCHEMA_KEYS), st.text(max_size=8))
trees = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)
YAML_ALPHABET = st.sampled_from(
    list("ab01 :-[]{},&*!|>'\"#%@`\n\t?.eE+_")
    # what the red team fed (issue 15): hidden line breaks, controls, zero-width, 0x1F and 0b11
    + ["\u00e9", "\x85", "\u2028", "\u2029", "\r", "\x0b", "\x1b", "\u200b", "x", "F"]
)


def _question_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _load_question_bytes(folder: Path, data: bytes):
    path = folder / "q.yaml"
    path.write_bytes(data)
    try:
        return fc.load_question(path)
    except InputError as exc:
        assert exc.problems, "an InputError must carry at least one problem"
        for p in exc.problems:
            assert isinstance(p.message, str) and p.message
        return None


def _load_evidence_bytes(folder: Path, question, data: bytes):
    path = folder / "items.yaml"
    path.write_bytes(data)
    try:
        with pytest.warns(ForecastingWarning) if _is_empty_yaml(data) else nullcontext():
            evidence = fc.load_evidence(path, question)
    except InputError as exc:
        assert exc.problems
        return None
    raw = yaml.load(data, Loader=_Loader)
    # a ledger that loads keeps every item: nothing is dropped silently
    assert len(evidence) == (len(raw) if isinstance(raw, list) else 0)
    return evidence


def _is_empty_yaml(data: bytes) -> bool:
    try:
        return yaml.load(data, Loader=_Loader) is None
    except yaml.YAMLError:
        return False


FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_as_question(tmp_path_factory, data):
    _load_question_bytes(_question_dir(tmp_path_factory), data)


@FUZZ
@given(text=st.text(YAML_ALPHABET, max_size=200))
def test_yamlish_text_as_question(tmp_path_factory, text):
    _load_question_bytes(_question_dir(tmp_path_factory), text.encode("utf-8"))


@FUZZ
@given(tree=trees)
def test_random_tree_as_question(tmp_path_factory, tree):
    data = yaml.safe_dump(tree, allow_unicode=True).encode("utf-8")
    _load_question_bytes(_question_dir(tmp_path_factory), data)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _mutate(draw, doc):
    """Replace, delete or add one value somewhere in a parsed document."""
    paths = [p for p in _paths(doc) if p]
    path = draw(st.sampled_from(paths))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "replace":
        parent[path[-1]] = draw(trees)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(keys)] = draw(trees)
    else:
        parent.append(draw(trees))
    return doc


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
BUNDLED_DOC = yaml.load(BUNDLED_QUESTION.read_text(encoding="utf-8"), Loader=_Loader)


def _dump(doc) -> bytes:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False).encode("utf-8")


@FUZZ
@given(st.data())
def test_mutated_bundled_question(tmp_path_factory, data):
    doc = copy.deepcopy(BUNDLED_DOC)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate(data.draw, doc)
    _load_question_bytes(_question_dir(tmp_path_factory), _dump(doc))


@pytest.fixture(scope="module")
def bundled_question():
    return fc.load_question(BUNDLED_QUESTION)


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_as_evidence(tmp_path_factory, bundled_question, data):
    _load_evidence_bytes(_question_dir(tmp_path_factory), bundled_question, data)


@FUZZ
@given(tree=trees)
def test_random_tree_as_evidence(tmp_path_factory, bundled_question, tree):
    data = yaml.safe_dump([tree] if isinstance(tree, dict) else tree, allow_unicode=True)
    _load_evidence_bytes(_question_dir(tmp_path_factory), bundled_question, data.encode())


BUNDLED_ITEMS = [
    item
    for f in sorted(BUNDLED_EVIDENCE.glob("*.yaml"))
    for item in yaml.load(f.read_text(encoding="utf-8"), Loader=_Loader)
]


@FUZZ
@given(st.data())
def test_mutated_bundled_evidence(tmp_path_factory, bundled_question, data):
    doc = copy.deepcopy(BUNDLED_ITEMS)
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate(data.draw, doc)
    _load_evidence_bytes(_question_dir(tmp_path_factory), bundled_question, _dump(doc))


# --- full matches: a trailing line break is not part of an id or a code ------------------------


def test_ids_and_codes_with_a_trailing_line_break_are_refused(tmp_path):
    """``re.match`` with ``$`` accepts 'yn\\n' (``$`` matches before a final newline): every id
    and code is matched in full, so each of these is a located error, not a crash later."""
    import yaml
    from builders import binary, item, question

    good = question(("a", "b"), indicators={"yn": binary({"a": (5, 2), "b": (2, 5)})}).to_dict()

    def refused(body, match):
        path = tmp_path / "q.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
        with pytest.raises(fc.InputError, match=match):
            fc.load_question(path)

    refused(good | {"id": "test-q\n"}, "id")
    refused(good | {"scenarios": {"a\n": {"label": "A"}, "b": {"label": "B"}}}, "a")
    refused(good | {"indicators": {"yn\n": good["indicators"]["yn"]}}, "yn")
    refused(good | {"reliability_codes": {"B2\n": 0.99}}, "Admiralty")
    q = fc.Question.model_validate(good)
    for field, value in (("id", "x1\n"), ("event", "e1\n")):
        with pytest.raises(fc.InputError, match=field):
            fc.Evidence.from_items([item("x1", "yn", True) | {field: value}], q)
    # an item's code is normalised as written codes are (spaces, case): read as B2, not ignored
    (it,) = fc.Evidence.from_items([item("x1", "yn", True) | {"reliability": "b2\n"}], q).items
    assert it.reliability == "B2"


def test_an_archive_file_name_with_a_trailing_line_break_is_not_a_forecast(tmp_path):
    from forecasting.pipeline.archive import Archive

    folder = tmp_path / "forecasts" / "q"
    folder.mkdir(parents=True)
    (folder / "2025-10-06.nc\n").write_bytes(b"")
    assert Archive(tmp_path / "forecasts").entries("q") == []


@pytest.mark.parametrize(
    ("written", "read_as"),
    [("010", 8), ("0x1F", 31), ("0b11", 3), ("1:30", 90), ("1_000", 1000), ("1:30.5", 90.5)],
)
def test_yaml_1_1_number_forms_are_refused_not_misread(tmp_path, written, read_as):
    """A count of 010 would be 8, a concentration of 1:00 would be 60: located errors instead,
    in the question and in a ledger (quoted, they are text; plain decimals read as written)."""
    import yaml
    from builders import binary, count, question

    body = question(
        ("a", "b"),
        indicators={
            "ops": count({"a": (4, 2), "b": (1, 1)}),
            "yn": binary({"a": (5, 2), "b": (2, 5)}),
        },
    ).to_dict()
    q_path = tmp_path / "q.yaml"
    q_path.write_text(yaml.safe_dump(body) + f"prior_concentration: {written}\n", encoding="utf-8")
    with pytest.raises(fc.InputError) as err:
        fc.load_question(q_path)
    (problem,) = err.value.problems
    assert problem.field == "prior_concentration" and problem.line == q_path.read_text().count("\n")
    assert f"'{written}'" in problem.message and repr(read_as) in problem.message
    q = fc.Question.model_validate(body)
    ledger = tmp_path / "e.yaml"
    ledger.write_text(
        "- id: o1\n  indicator: ops\n  value: " + written + "\n  exposure: 1\n"
        "  date: 2025-01-01\n  source: s\n",
        encoding="utf-8",
    )
    with pytest.raises(fc.InputError, match="plain decimal") as err:
        fc.load_evidence(ledger, q)
    assert err.value.problems[0].line == 3
    ledger.write_text(
        ledger.read_text().replace(f"value: {written}", "value: 10"), encoding="utf-8"
    )
    assert fc.load_evidence(ledger, q).items[0].value == 10
