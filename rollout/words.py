"""Counts and sentences as people write them, for every line the pages, the CLI and the pack show."""

from __future__ import annotations


def counted(n: float, noun: str, nouns: str | None = None) -> str:
    """'1 task', '3 tasks', '1 open major finding', '2.5 days': the count and its noun in the right number."""
    number = f"{n:,}" if isinstance(n, int) else f"{n:g}"
    return f"{number} {noun if n == 1 else nouns or noun + 's'}"


def agreeing(n: int, one: str, many: str) -> str:
    """The word that agrees with a count: agreeing(1, 'shows', 'show') is 'shows'."""
    return one if n == 1 else many


def sentence(text: str) -> str:
    """A clause of ours as a sentence of its own: its first letter capital, a full stop at the end."""
    return f"{text[:1].upper()}{text[1:]}" + ("" if text.endswith(".") else ".")
