"""Text people typed, or a plan, a store or a spreadsheet holds, never reaches the browser as Markdown: no image
from another host loads, no link hides where it leads, no :red[...] or $math$ dresses it up. It shows as typed,
escaped inside Markdown or in an element that reads no Markdown (a data grid, plain text)."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import yaml
from google.protobuf.message import Message
from support import DEMO_TODAY, ROOT, app, build_plan, shown

from rollout import registers
from rollout.plan import load_plan
from rollout.records import OPEN
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


def test_a_name_refused_by_the_store_is_quoted_as_typed(demo_env):
    """The store refuses a name with a control character and says which name: the message quotes it."""
    at = app("pages/2_Progress.py")
    at.session_state["user"] = HOSTILE + "\x07"
    tasks = list(at.session_state["progress_base"]["frame"]["task_id"])
    at.session_state["progress_editor"] = {
        "edited_rows": {tasks.index("P3.01"): {"owner": "Kim"}}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    at.run()
    next(b for b in at.button if b.label == "Save 1 changed task").click().run()
    assert any("control character" in e.value for e in at.error)
    assert_shown_as_typed(at, "the refusal")


# text a damaged store holds --------------------------------------------------------
def spoil(path) -> None:
    """A progress file whose first task has the hostile text for its status."""
    rows = list(csv.DictReader(path.open(newline="")))
    rows[0]["status"] = HOSTILE
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_a_damaged_store_is_quoted_as_it_holds_on_every_page(demo_env, bundled_plan):
    spoil(demo_env / "progress.csv")
    spoil(demo_env / "backups" / FileStore(demo_env, bundled_plan).backups()[-1])  # its restore is refused too
    showed = visit_all()
    assert showed == set(PAGES), "every page says what the damaged file holds"
    at = app()
    next(b for b in at.button if b.label.startswith("Restore")).click().run()
    assert "choose another backup" in shown(at.error[-1].value)
    assert_shown_as_typed(at, "the refused restore")


def test_a_record_id_a_store_holds_is_quoted_as_typed(demo_env, bundled_plan):
    findings = demo_env / "findings.csv"
    saved = FileStore(demo_env, bundled_plan).load().records["findings"]
    first = saved.loc[saved["status"].isin(OPEN), "id"].iloc[0]  # the first row the register shows
    findings.write_text(findings.read_text().replace(first, HOSTILE))
    at = app("pages/7_Assurance.py")
    at.session_state["assurance_view"] = next(t.label for t in at.tabs if t.label.startswith("Findings"))
    at.run()
    at.session_state["findings_editor"] = {"edited_rows": {0: {"action": "Act"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "Save 1 changed finding").click().run()
    assert at.success and HOSTILE in shown(at.success[0].value)
    assert_shown_as_typed(at, "the saved finding")


# text of the plan ------------------------------------------------------------------
def hostile_plan(tmp_path):
    """The minimal plan with hostile text in every field a page shows: names, titles, clause ids."""
    folder = build_plan(tmp_path)

    def rewrite(name: str, change) -> None:
        path = folder / name
        node = yaml.safe_load(path.read_text())
        change(node)
        path.write_text(yaml.safe_dump(node, sort_keys=False))

    def header(node):
        node.update(organisation=HOSTILE, scope=HOSTILE)

    def stage(node):
        node.update(name=HOSTILE, objective=HOSTILE, gate=[HOSTILE])
        for task in node["tasks"]:
            task.update(title=HOSTILE, deliverable=HOSTILE, role=HOSTILE, description=HOSTILE)
            task["clauses"]["2018"].append(HOSTILE)

    def clauses(node):
        node["editions"]["2018"].append({"id": HOSTILE, "title": HOSTILE})
        node["editions"]["2018"][0]["title"] = HOSTILE

    rewrite("plan.yaml", header)
    rewrite("phase-1.yaml", stage)
    rewrite("clauses.yaml", clauses)
    load_plan(folder)  # a plan the app accepts
    return folder


def test_plan_text_shows_as_written_on_every_page(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_PHASES", str(hostile_plan(tmp_path)))
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    monkeypatch.setenv("ROLLOUT_USER", "Page Tester")
    (tmp_path / "data").mkdir()

    def open_hostile_task(page, at):
        if page == "pages/1_Plan.py":  # P1.01, in full
            at.session_state["plan_tasks"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
            at.run()

    showed = visit_all(prepare=open_hostile_task)
    assert set(PAGES) - showed == {"pages/5_Import.py"}, "every other page shows the plan's text"


# text of a spreadsheet -----------------------------------------------------------
FILE = HOSTILE.replace("/", "_")  # a file's name, as a browser sends it: no folder


def upload(at, name: str, content: bytes, kind: str = "application/octet-stream"):
    return at.file_uploader(key="import_file").set_value((name, content, kind)).run()


def test_a_spreadsheet_is_quoted_as_it_holds(demo_env, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "$x^2$ <b>"  # a sheet's name may hold neither : / nor [ ]
    book.active.append(["Task ID", "Status", HOSTILE])
    book.active.append(["P3.01", HOSTILE, HOSTILE])
    book.active.append(["P3.02", "In progress", HOSTILE])
    book.create_sheet("$x^2$ too").append(["a", "b"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    at = upload(app("pages/5_Import.py"), f"{FILE}.xlsx", path.read_bytes())
    assert_shown_as_typed(at, "the preview")
    at.checkbox(key="import_valid_only").check().run()
    next(b for b in at.button if b.label.startswith("Apply")).click().run()
    assert at.success and FILE in shown(at.success[0].value)
    assert_shown_as_typed(at, "the import done")


def test_a_refused_spreadsheet_is_named_as_typed(demo_env):
    def refused(at, says: str) -> None:
        assert len(at.error) == 1 and says in shown(at.error[0].value) and FILE in shown(at.error[0].value)
        assert_shown_as_typed(at, says)

    page = app("pages/5_Import.py")
    refused(upload(page, f"{FILE}.xlsx", b"not a workbook"), "is not a spreadsheet")
    refused(upload(page, f"{FILE}.csv", b"Weekly list\nFoo,Bar,Baz\nP1.01,done,Ann\n"), "no header row")
    page.selectbox(key="import_header").set_value(2).run()
    refused(page, "no task id or title column")
    sample = (ROOT / "data" / "samples" / "weekly-status.csv").read_bytes()
    refused(upload(page, f"{FILE}.csv", sample), "day-first or month-first")
