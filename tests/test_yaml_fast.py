"""The fast ledger reader gives exactly what the full YAML parser gives, or steps aside."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from conftest import BUNDLED_EVIDENCE
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting import _yaml
from forecasting.errors import InputError


def slow(text):
    """The full parser (what ``parse`` does when the fast path steps aside)."""
    loader = _yaml._LOADER(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    if node is None:
        return None, _yaml.LineMap("x")
    return _yaml._Builder("x").build(node)


def same(text):
    """Assert both readers agree whenever the fast one answers; return whether it did."""
    fast = _yaml._fast_ledger(text, "x")
    if fast is None:
        return False
    try:
        full = slow(text)
    except (InputError, yaml.YAMLError) as exc:  # pragma: no cover - would be a bug
        raise AssertionError(f"fast reader accepted what the parser rejects: {exc}") from exc
    assert fast[0] == full[0]
    assert [type(x) for row in fast[0] for x in row.values()] == [
        type(x) for row in full[0] for x in row.values()
    ]
    assert fast[1]._lines == full[1]._lines
    assert fast[1]._texts == full[1]._texts
    return True


def test_generated_ledger_takes_the_fast_path():
    rows = [
        {
            "id": f"e{i}",
            "indicator": "ops",
            "value": i % 4,
            "date": dt.date(2025, 1, 1 + i),
            "source": "a source: with colon",
            "reliability": "B2",
            "window": [dt.date(2024, 12, 1), dt.date(2025, 1, 1 + i)],
        }
        for i in range(20)
    ]
    text = yaml.safe_dump(rows, sort_keys=False)
    assert same(text)
    flow = "\n".join(
        f"- id: x{i}\n  indicator: ops\n  value: {i}\n  window: [2025-01-01, "
        f"2025-02-01]\n  date: 2025-02-01  # known then\n  source: 'it''s'\n"
        f"  reliability: 0.5\n"
        for i in range(5)
    )
    assert same("# a comment\n\n" + flow)


def test_bundled_ledger_files_read_the_same_either_way():
    for path in BUNDLED_EVIDENCE.glob("*.yaml"):
        text = path.read_text()
        same(text)  # these use folded notes, so the full parser reads them


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "on",
        "~",
        "null",
        "1e3",
        "0x1F",
        "1:30",
        "2025-10-27",
        "2025-10-27 10:00:00",
        "0.5",
        "-3",
        ".inf",
        "'quoted: yes'",
        '"double"',
        "a # comment",
        "a#b",
        "-",
        "!!python/object",
        "&anchor x",
        "*alias",
        "|",
        ">-",
        "[a, b]",
        "[]",
        "[a, [b]]",
        "{a: 1}",
        "'unterminated",
        "x: y",
        "2025-13-45",
        "@x",
        "%x",
        "`x",
        "? x",
        "1_000",
        "+5",
        "0o17",
        "-0.5e-3",
    ],
)
def test_tricky_scalars(value):
    same(f"- id: a\n  value: {value}\n")


ALPHABET = list("abyesnoNULl019.-+:#'\" ,[]{}&*!|>%@`?_~x\t")
SCALAR = st.one_of(
    st.text(ALPHABET, max_size=12),
    st.lists(st.sampled_from(ALPHABET + [": ", " #", "''"]), max_size=6).map("".join),
    st.sampled_from(
        [
            "yes",
            "no",
            "true",
            "null",
            "~",
            "1e-3",
            "2025-01-02",
            "0x10",
            "1:20",
            "12",
            "-4.5",
            "B2",
            "a: b",
            "it's",
        ]
    ),
)


@settings(max_examples=400)
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["id", "value", "date", "note", "x-y", "<<"]),
                st.one_of(SCALAR, st.lists(SCALAR, max_size=3)),
            ),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["flow", "block"]),
)
def test_hand_written_ledgers_agree(rows, list_style):
    lines = []
    for row in rows:
        for n, (key, value) in enumerate(row):
            lead = "- " if n == 0 else "  "
            if isinstance(value, list):
                if list_style == "flow":
                    lines.append(f"{lead}{key}: [{', '.join(value)}]")
                else:
                    lines.append(f"{lead}{key}:")
                    lines += [f"  - {v}" for v in value]
            else:
                lines.append(f"{lead}{key}: {value}")
    try:
        same("\n".join(lines) + "\n")
    except InputError:
        pass  # the fast path stepped aside and the parser rejected it: fine


@settings(max_examples=200)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "indicator", "value", "note", "date"]),
            st.one_of(
                st.text(max_size=15),
                st.integers(),
                st.booleans(),
                st.none(),
                st.floats(allow_nan=False),
                st.dates(),
                st.lists(st.dates(), max_size=2),
            ),
            min_size=1,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_safe_dump_output_agrees(rows):
    same(yaml.safe_dump(rows, sort_keys=False, allow_unicode=True))
