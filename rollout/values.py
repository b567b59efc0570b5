"""The one normaliser of status, percent, dates and text, shared by set, import and the pages."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Any

STATUSES = ("not_started", "in_progress", "blocked", "done", "not_applicable")
FINISHED = ("done", "not_applicable")  # nothing more to do on the task
DECIMALS = 4  # figures are kept to four decimals
STATUS_LABELS = {
    "not_started": "Not started",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
    "not_applicable": "Not applicable",
}
TEXT_FIELDS = ("owner", "evidence", "notes")
DATE_FIELDS = ("start", "due")
FIELDS = ("status", "percent", "owner", "start", "due", "evidence", "notes")
DATE_ORDERS = ("dayfirst", "monthfirst")
CELL_LIMIT = 32_767  # the characters a spreadsheet cell holds; openpyxl cuts longer text without a word
# a spreadsheet program runs a cell starting with one of these as a formula: exports quote it, which takes a character
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, line feed and carriage return, then DEL and the C1 controls: a workbook cannot hold
# them and a terminal obeys them; lone surrogates are bytes that were not UTF-8 and cannot be written back
_UNFIT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

_STATUS_WORDS = {
    "not_started": ["", "not started", "to do", "todo", "open", "new", "planned", "not begun", "pending"],
    "in_progress": ["in progress", "wip", "ongoing", "started", "underway", "under way", "in work", "active", "doing"],
    "blocked": ["blocked", "on hold", "stuck", "waiting", "paused", "hold"],
    "done": ["done", "complete", "completed", "closed", "finished", "implemented", "verified", "achieved"],
    "not_applicable": ["n/a", "na", "not applicable", "excluded", "out of scope", "not required"],
}
_STATUS_BY_KEY = {re.sub(r"[\s_\-]", "", w): code for code, words in _STATUS_WORDS.items() for w in [*words, code]}
_WEB = re.compile(r"https?://[^\s<>|]+", re.IGNORECASE)  # no space, angle bracket or bar: a link in Markdown
_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")


class ValueProblem(ValueError):
    """A value that cannot be used; the message says what was expected."""


def status_words() -> dict[str, list[str]]:
    """The words accepted for each status, for templates and help texts."""
    return {code: [w for w in words if w] for code, words in _STATUS_WORDS.items()}


def normalise_status(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = ""
    if not isinstance(value, str):
        raise ValueProblem(f"status {value!r} is not a status word; expected one of {', '.join(STATUSES)}")
    code = _STATUS_BY_KEY.get(re.sub(r"[\s_\-]", "", value.strip().lower()))
    if code is None:
        raise ValueProblem(
            f"status {value!r} is not understood; expected one of {', '.join(STATUSES)} (or done, wip, on hold, n/a, ...)"
        )
    return code


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def percent_is_fraction(values: Iterable[Any]) -> bool:
    """True when every numeric cell of a column lies between 0 and 1 (a percent-formatted column)."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)]
    return bool(numbers) and all(0 <= v <= 1 for v in numbers)


def normalise_percent(value: Any, fraction: bool = False) -> int | None:
    """A whole percent 0..100, or None for a blank; ``fraction`` reads numbers as 0..1."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueProblem(f"percent {value!r} is not a number; expected 0 to 100")
    if isinstance(value, str):
        number, scale = _number(value.strip().rstrip("%").strip().replace(",", "."), value), 1
    else:
        number, scale = _number(value, value), 100 if fraction else 1
    scaled = number * scale
    if math.isnan(scaled):
        raise ValueProblem(f"percent {value!r} is not a number; expected 0 to 100")
    if not -0.5 <= scaled < 100.5:  # what rounds to 0..100; infinities fall outside too
        raise ValueProblem(f"percent {value!r} is out of range; expected 0 to 100")
    return math.floor(scaled + 0.5)


def _number(value: Any, original: Any) -> float:
    try:
        return float(value)
    except (ValueError, TypeError, OverflowError):  # OverflowError: an integer too large for a float
        raise ValueProblem(f"percent {original!r} is not a number; expected 0 to 100, like 50 or 50%") from None


def normalise_date(value: Any, order: str | None = None) -> dt.date | None:
    """A date from a date object, ISO text, or d/m/y text read in the given order."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    text = str(value).strip()
    try:
        return (
            dt.date.fromisoformat(text[:10]) if re.match(r"^\d{4}-\d{2}-\d{2}([T ].*)?$", text) else _dmy(text, order)
        )
    except ValueError as exc:
        if isinstance(exc, ValueProblem):
            raise
        raise ValueProblem(f"date {value!r} is not a real date; expected YYYY-MM-DD") from None


def _dmy(text: str, order: str | None) -> dt.date:
    match = _DMY.match(text)
    if not match:
        example = {"dayfirst": " or 31/12/2026", "monthfirst": " or 12/31/2026"}.get(order or "", "")
        raise ValueProblem(f"date {text!r} is not a date; expected a date such as 2026-12-31{example}")
    a, b, year = (int(g) for g in match.groups())
    year += 2000 if year < 100 else 0
    if order in DATE_ORDERS:
        day, month = (a, b) if order == "dayfirst" else (b, a)
        return dt.date(year, month, day)
    # no order chosen: a text that is a date in one order only is that date (31/12/2026)
    readings = {_real(year, m, d) for d, m in ((a, b), (b, a))} - {None}
    if len(readings) == 1:
        return readings.pop()
    if not readings:
        raise ValueError(text)
    first, second = sorted(readings)
    raise ValueProblem(
        f"date {text!r} could be {first.day} {first:%B} or {second.day} {second:%B %Y}; write it as YYYY-MM-DD "
        f"({first.isoformat()} or {second.isoformat()})"
    )


def _real(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def is_dmy(text: str) -> bool:
    """Text written day/month/year or month/day/year (which of the two, its reader must be told or work out)."""
    return bool(_DMY.match(text))


def date_order_hint(values: Iterable[Any]) -> str | None:
    """The only order that reads every d/m/y text of a column, if just one does."""
    fits = {"dayfirst": True, "monthfirst": True}
    seen = False
    for value in values:
        match = _DMY.match(str(value)) if isinstance(value, str) else None
        if match:
            seen = True
            a, b = int(match.group(1)), int(match.group(2))
            fits["dayfirst"] &= b <= 12
            fits["monthfirst"] &= a <= 12
    good = [k for k, ok in fits.items() if ok]
    return good[0] if seen and len(good) == 1 else None


def web_address(text: str) -> bool:
    """Whether evidence is a web address a browser can open (http or https), not a document reference
    such as "DMS-0042" or "SharePoint > SMS > Policy.docx", which is shown as text."""
    return bool(_WEB.fullmatch(text.strip()))


def normalise_text(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def text_problem(text: str) -> str | None:
    """Why a text cannot be kept whole everywhere it goes (files, a workbook cell, a terminal), else None."""
    unfit = _UNFIT.search(text)
    if unfit:
        return f"holds the control character U+{ord(unfit.group()):04X} at character {unfit.start() + 1}; remove it"
    if cell_length(text) > CELL_LIMIT:
        return (
            f"is {len(text):,} characters long; a spreadsheet cell holds {CELL_LIMIT:,} "
            "(one fewer when the text starts with = + - @ or ', which an export quotes); shorten it"
        )
    return None


def cell_length(text: str) -> int:
    """The characters a text takes in a spreadsheet cell, the quote included that keeps a formula-like text text."""
    return len(text) + (1 if text.startswith((*FORMULA_START, "'")) else 0)


def normalise_stored_text(value: Any) -> str:
    """A text field as saved: normalised, and refused when some place it goes could not keep it whole."""
    text = normalise_text(value)
    problem = text_problem(text)
    if problem:
        raise ValueProblem(f"text {problem}")
    return text


def allowed_percent(status: str) -> range:
    return {
        "not_started": range(0, 1),
        "in_progress": range(0, 100),
        "blocked": range(0, 100),
        "done": range(100, 101),
        "not_applicable": range(0, 101),
    }[status]


def _describe(allowed: range) -> str:
    return str(allowed.start) if len(allowed) == 1 else f"{allowed.start} to {allowed.stop - 1}"


def reconcile(current: tuple[str, int], status: str | None = None, percent: int | None = None) -> tuple[str, int]:
    """Apply a new status and/or percent to a task's current pair, as the design's table says."""
    old_status, old_percent = current
    if status is not None and percent is not None:
        new = (status, percent)
    elif status is not None:
        new = (status, {"done": 100, "not_started": 0}.get(status, old_percent))
    elif percent is not None:
        new = (_status_for_percent(old_status, percent), percent)
    else:
        return current
    if new[1] not in allowed_percent(new[0]):
        needs = f"status {STATUS_LABELS[new[0]]} needs percent {_describe(allowed_percent(new[0]))}"
        if status is not None and percent is not None:
            raise ValueProblem(f"{needs}, but percent {percent} was given with it")
        kept = "percent" if status is not None else "status"
        raise ValueProblem(f"{needs}, but the task's {kept} makes it {new[1]}; give both status and percent")
    return new


def _status_for_percent(status: str, percent: int) -> str:
    if percent == 100 and status != "not_applicable":
        return "done"
    if 1 <= percent <= 99 and status in ("not_started", "done"):
        return "in_progress"
    return status
