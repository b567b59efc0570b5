"""The one normaliser: status words, percent, dates, and the status/percent table of the design."""

from __future__ import annotations

import datetime as dt

import pytest

from rollout.values import (
    CELL_LIMIT,
    ValueProblem,
    date_order_hint,
    normalise_date,
    normalise_percent,
    normalise_status,
    normalise_stored_text,
    percent_is_fraction,
    reconcile,
    text_problem,
)


@pytest.mark.parametrize(
    "word, code",
    [
        ("done", "done"), ("Complete", "done"), ("completed", "done"), ("CLOSED", "done"),
        ("not started", "not_started"), ("To-Do", "not_started"), ("open", "not_started"), ("", "not_started"),
        ("WIP", "in_progress"), ("in_progress", "in_progress"), ("In Progress", "in_progress"), ("ongoing", "in_progress"),
        ("started", "in_progress"), ("blocked", "blocked"), ("On hold", "blocked"), ("on-hold", "blocked"),
        ("n/a", "not_applicable"), ("NA", "not_applicable"), ("Not applicable", "not_applicable"),
        ("not_applicable", "not_applicable"), (None, "not_started"),
    ],
)  # fmt: skip
def test_status_words(word, code):
    assert normalise_status(word) == code


def test_unknown_status_says_what_is_expected():
    with pytest.raises(ValueProblem, match="'finito' is not understood; expected one of not_started"):
        normalise_status("finito")


@pytest.mark.parametrize(
    "value, fraction, expected",
    [("50", False, 50), ("50%", False, 50), ("50 %", False, 50), ("50.0", False, 50), (49.5, False, 50),
     (0.5, True, 50), ("50%", True, 50), (1, True, 100), (100, False, 100), ("", False, None), (None, False, None),
     ("12,5", False, 13)],
)  # fmt: skip
def test_percent(value, fraction, expected):
    assert normalise_percent(value, fraction) == expected


@pytest.mark.parametrize("value", ["101", -1, "lots", True, 150.0])
def test_bad_percent_is_refused(value):
    with pytest.raises(ValueProblem, match="percent"):
        normalise_percent(value)


def test_a_fraction_column_is_one_whose_numbers_all_lie_within_0_and_1():
    assert percent_is_fraction([0.5, 1, "", None, 0])
    assert not percent_is_fraction([0.5, 40])
    assert not percent_is_fraction(["50%", ""])


def test_dates():
    assert normalise_date("2026-03-04") == dt.date(2026, 3, 4)
    assert normalise_date(dt.datetime(2026, 3, 4, 12)) == dt.date(2026, 3, 4)
    assert normalise_date("04/03/2026", "dayfirst") == dt.date(2026, 3, 4)
    assert normalise_date("04/03/2026", "monthfirst") == dt.date(2026, 4, 3)
    assert normalise_date("") is None


def test_day_or_month_first_text_is_never_guessed():
    with pytest.raises(ValueProblem) as caught:
        normalise_date("04/03/2026")
    assert str(caught.value) == (
        "date '04/03/2026' could be 4 March or 3 April 2026; write it as YYYY-MM-DD (2026-03-04 or 2026-04-03)"
    )
    assert "--" not in str(caught.value), "set has no flag to choose the order"


def test_a_date_that_fits_one_order_only_is_that_date():
    assert normalise_date("31/12/2026") == normalise_date("12/31/2026") == dt.date(2026, 12, 31)
    assert normalise_date("4/4/26") == dt.date(2026, 4, 4)  # both orders agree


def test_text_that_is_no_date_says_what_a_date_looks_like_in_the_order_chosen():
    with pytest.raises(ValueProblem, match=r"'TBC' is not a date; expected a date such as 2026-12-31$"):
        normalise_date("TBC")
    with pytest.raises(ValueProblem, match=r"such as 2026-12-31 or 31/12/2026$"):
        normalise_date("TBC", "dayfirst")
    assert date_order_hint(["25/03/2026", "04/03/2026"]) == "dayfirst"
    assert date_order_hint(["04/03/2026"]) is None


def test_impossible_dates_are_refused():
    with pytest.raises(ValueProblem, match="not a real date"):
        normalise_date("2026-02-30")


# the design's table: (current status, current percent, given status, given percent) -> result or refusal
@pytest.mark.parametrize(
    "current, status, percent, expected",
    [
        (("in_progress", 40), "done", None, ("done", 100)),
        (("in_progress", 40), "not_started", None, ("not_started", 0)),
        (("not_started", 0), "in_progress", None, ("in_progress", 0)),
        (("in_progress", 40), "blocked", None, ("blocked", 40)),
        (("done", 100), "not_applicable", None, ("not_applicable", 100)),
        (("done", 100), "in_progress", None, "needs percent 0 to 99"),
        (("done", 100), "blocked", None, "needs percent 0 to 99"),
        (("in_progress", 40), None, 100, ("done", 100)),
        (("not_applicable", 10), None, 100, ("not_applicable", 100)),
        (("not_started", 0), None, 30, ("in_progress", 30)),
        (("done", 100), None, 30, ("in_progress", 30)),
        (("blocked", 20), None, 30, ("blocked", 30)),
        (("in_progress", 20), None, 0, ("in_progress", 0)),
        (("done", 100), None, 0, "needs percent 100"),
        (("in_progress", 20), "done", 40, "needs percent 100"),
        (("in_progress", 20), "not_started", 10, "needs percent 0"),
        (("in_progress", 20), "done", 100, ("done", 100)),
        (("in_progress", 20), None, None, ("in_progress", 20)),
    ],
)
def test_status_and_percent_stay_consistent(current, status, percent, expected):
    if isinstance(expected, str):
        with pytest.raises(ValueProblem, match=expected):
            reconcile(current, status, percent)
    else:
        assert reconcile(current, status, percent) == expected


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "Infinity", float("inf"), float("-inf"), 10**400])
def test_percents_that_are_no_finite_number_are_refused(value):
    with pytest.raises(ValueProblem, match="percent"):
        normalise_percent(value)


@pytest.mark.parametrize("value", [float("inf"), 1e308])
def test_a_huge_fraction_is_refused(value):
    with pytest.raises(ValueProblem, match="out of range"):
        normalise_percent(value, fraction=True)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("red\x1b[31m", "U+001B at character 4"),
        ("a\x00b", "U+0000"),
        ("bell\x07", "U+0007"),
        ("next\x85line", "U+0085"),
        ("delete\x7f", "U+007F"),
        ("not utf-8 \udcff", "U+DCFF"),
        ("x" * (CELL_LIMIT + 1), "32,768 characters long; a spreadsheet cell holds 32,767"),
        ("=" + "x" * (CELL_LIMIT - 1), "32,767 characters long"),
    ],
)
def test_text_that_a_file_cell_or_terminal_cannot_keep_whole_is_refused(text, fragment):
    assert fragment in text_problem(text)
    with pytest.raises(ValueProblem, match=r"^text "):
        normalise_stored_text(text)


@pytest.mark.parametrize("text", ["line\nbreak\r\nand\ttab", "x" * CELL_LIMIT, "=" + "x" * (CELL_LIMIT - 2), "Zoë ✓"])
def test_text_that_fits_everywhere_is_kept_as_given(text):
    assert text_problem(text) is None and normalise_stored_text(f"  {text}  ") == text.strip()
