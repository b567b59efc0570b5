"""Counts and sentences as people write them, for every line the pages, the CLI and the pack show."""

from __future__ import annotations

import datetime as dt


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


def day_text(day: dt.date | None) -> str:
    """A date as every screen and the pack show it, '06 Jul 2026'; "" for none (the caller says what that means)."""
    return "" if day is None else f"{day:%d %b %Y}"


def time_text(stamp: str) -> str:
    """A stored UTC time, '2026-07-06T13:00:00Z', as people read it: '06 Jul 2026, 13:00 UTC'."""
    if not stamp:
        return ""
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return f"{day_text(moment)}, {moment:%H:%M} UTC"


def field_text(name: str) -> str:
    """A stored field's name as a column header says it: 'verified_by' is 'Verified by'."""
    return name.replace("_", " ").capitalize()
