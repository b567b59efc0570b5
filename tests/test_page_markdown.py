"""Text people typed never reaches the browser as Markdown: no image from another host loads, no link hides where
it leads, no :red[...] or $math$ dresses it up. It shows as typed, escaped inside Markdown or in an element that
reads no Markdown (a data grid, plain text)."""

from __future__ import annotations

import datetime as dt

from google.protobuf.message import Message
from support import DEMO_TODAY, app

from rollout import registers
from rollout.stores.files import FileStore

HOSTILE = (
    "![x](http://evil.example/p.png) [https://good.example](http://evil.example) :red[boom] $x^2$ **bold** <b>b</b>"
)
LEAKS = ("](http", "![", ":red[", "$x^2$", "**bold**", "<b>")  # what of HOSTILE would work as Markdown
PAGES = ["app.py", "pages/1_Plan.py", "pages/2_Progress.py", "pages/3_Readiness.py", "pages/4_Timeline.py",
         "pages/5_Import.py", "pages/6_Steering_committee.py", "pages/7_Assurance.py"]  # fmt: skip
# elements that show their text as it is: their bodies are no Markdown
AS_IS = {"text", "code", "json", "html", "exception", "arrow_data_frame", "plotly_chart", "bidi_component"}
READ_AS_MARKDOWN = {"body", "label", "help", "content"}  # content: an option of a segmented control
TODAY = dt.date.fromisoformat(DEMO_TODAY)


def _strings(value, name: str = ""):
    """The texts of a proto message (and of those inside it) held in fields that Streamlit reads as Markdown."""
    if isinstance(value, Message):
        for field, inner in value.ListFields():
            yield from _strings(inner, field.name)
    elif isinstance(value, str):
        yield from [value] if name in READ_AS_MARKDOWN else []
    elif not isinstance(value, (bytes, int, float)):  # a repeated field
        for item in value:
            yield from _strings(item, name)


def markdown_texts(at) -> list[str]:
    """Every text of the page that the browser reads as Markdown: bodies, labels, help texts, options."""
    nodes = [node for node in at._tree if getattr(node, "proto", None) is not None and node.type not in AS_IS]
    return [text for node in nodes for text in _strings(node.proto)]


def leaks(at) -> list[str]:
    return [text for text in markdown_texts(at) if any(leak in text for leak in LEAKS)]


def openings(at) -> list[tuple[str, object]]:
    """The (key, value) that opens each tab and each expander with a key, which draw their contents only when open."""
    found = []
    for node in at._tree:
        if node.type == "tab_container" and node.key:
            found += [(node.key, tab.label) for tab in node.children.values()]
        elif node.type == "expander" and node.key:
            found.append((node.key, True))
    return found


def every_view(at):
    """The page as drawn, then again with each of its tabs and expanders opened in turn."""
    yield at
    done: set = set()
    waiting = openings(at)
    while waiting:
        key, value = waiting.pop(0)
        if (key, value) in done:
            continue
        done.add((key, value))
        at.session_state[key] = value
        yield at.run()
        waiting += openings(at)


def assert_shown_as_typed(at, where: str) -> None:
    assert not at.exception, (where, [e.value for e in at.exception])
    assert not leaks(at), (where, leaks(at))


def visit_all(prepare=lambda page, at: None) -> set[str]:
    """Every page in each of its views, checked; the pages that showed the hostile text (escaped or as is)."""
    showed = set()
    for page in PAGES:
        at = app(page)
        prepare(page, at)
        for number, view in enumerate(every_view(at)):
            assert_shown_as_typed(view, f"{page}, view {number}")
            if any("evil" in text for text in every_text(view)):
                showed.add(page)
    return showed


def every_text(at) -> list[str]:
    """The page's Markdown texts, the cells of its data grids and its plain texts."""
    cells = [str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()]
    return markdown_texts(at) + cells + [t.value for t in at.text]


# text typed into the app ---------------------------------------------------------
def test_typed_text_shows_as_typed_on_every_page(demo_env, bundled_plan):
    store = FileStore(demo_env, bundled_plan)
    fields = {"owner": HOSTILE, "notes": HOSTILE, "evidence": HOSTILE}
    store.save({t: fields for t in bundled_plan.tasks}, None, by=HOSTILE, source="ui")
    registers.add_findings(
        store, [{"clauses": "8.1", "grade": "major", "source": "internal_audit", "description": HOSTILE,
                 "cause": HOSTILE, "action": HOSTILE, "owner": HOSTILE}], by=HOSTILE,
    )  # fmt: skip
    registers.assess(store, "8.1", "minor_gap", by=HOSTILE, evidence=HOSTILE, notes=HOSTILE, today=TODAY)
    registers.decide(store, bundled_plan, 4, "no_go", by=HOSTILE, deciders=HOSTILE, conditions=HOSTILE,
                     minutes=HOSTILE, today=TODAY)  # fmt: skip

    def open_first_task(page, at):
        if page == "pages/1_Plan.py":  # the task in full: owner, evidence and the history's names
            at.session_state["plan_tasks"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
            at.run()

    showed = visit_all(prepare=open_first_task)
    assert set(PAGES) - showed == {"pages/5_Import.py"}, "every other page shows typed text"
