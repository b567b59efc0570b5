"""Counts and sentences as people write them."""

from __future__ import annotations

import pytest

from rollout.words import agreeing, counted, sentence


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [(0, "task", "0 tasks"), (1, "task", "1 task"), (2, "open major finding", "2 open major findings"),
     (1.0, "day", "1 day"), (2.5, "day", "2.5 days"), (1200, "row", "1,200 rows")],
)  # fmt: skip
def test_a_count_takes_its_noun_in_the_right_number(n, noun, expected):
    assert counted(n, noun) == expected


def test_an_irregular_plural_is_given():
    assert counted(2, "person", "people") == "2 people" and counted(1, "person", "people") == "1 person"


def test_a_verb_agrees_with_its_count():
    assert [agreeing(n, "shows", "show") for n in (0, 1, 2)] == ["show", "shows", "show"]


def test_a_clause_becomes_a_sentence():
    assert sentence("kept shut by 1 mandatory task") == "Kept shut by 1 mandatory task."
    assert sentence("Done.") == "Done."
