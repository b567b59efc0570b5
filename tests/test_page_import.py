"""The Import page: upload, choose the header row and map the columns, preview every change in words, confirm;
nothing saved before, and no message that speaks of a command-line flag."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from support import DEMO_TODAY, ROOT, app, shown

from rollout.plan import load_plan
from rollout.stores.files import FileStore

PAGE = "pages/5_Import.py"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("ROLLOUT_DATA", str(folder))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    monkeypatch.setenv("ROLLOUT_USER", "Importer")
    return folder


def store(folder) -> FileStore:
    return FileStore(folder, load_plan(ROOT / "phases"))


def workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(at, name: str, content: bytes, kind: str = XLSX):
    return at.file_uploader(key="import_file").set_value((name, content, kind)).run()


def table(at, column: str) -> pd.DataFrame:
    """The first data table of the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def apply(at):
    return next(b for b in at.button if b.label.startswith("Apply")).click().run()


def errors(at) -> list[str]:
    return [shown(e.value) for e in at.error]


def messages(at) -> list[str]:
    """Every text the page shows a person, as read: alerts, captions, Markdown, labels and options of its controls."""
    texts = [
        shown(e.value) for kind in ("error", "warning", "info", "success", "caption", "markdown")
        for e in getattr(at, kind)
    ]  # fmt: skip
    texts += [shown(w.label) for w in [*at.selectbox, *at.checkbox, *at.button, *at.date_input]]
    texts += [str(o) for s in at.selectbox for o in s.options]
    return texts + [e.value for e in at.exception]


def no_flags(at) -> None:
    flags = [t for t in messages(at) if "--" in t]
    assert not flags, f"a page names a command-line flag: {flags}"


def map_columns(at, fields: dict[int, str]):
    at.session_state["import_mapping"] = {
        "edited_rows": {row: {"field": label} for row, label in fields.items()}, "added_rows": [], "deleted_rows": []
    }  # fmt: skip
    return at.run()


def test_an_upload_is_previewed_in_words_and_applied_only_when_confirmed(data):
    at = upload(app(PAGE), "status.xlsx", workbook([["Weekly status"], [], ["Ref", "State", "Progress", "Who"],
                                                   ["P1.01", "Complete", "", "Helen"], ["p1.02 ", "WIP", "0.5", ""]]))  # fmt: skip
    assert not at.exception
    assert metrics(at)["Rows with changes"] == "2" and metrics(at)["Rows rejected"] == "0"
    changes = table(at, "After the import")
    assert list(changes.columns[:4]) == ["Row", "Task", "Title", "Field"]  # one sheet read: no sheet column
    seen = set(zip(changes["Task"], changes["Field"], changes["Saved now"], changes["After the import"], strict=True))
    assert {("P1.01", "Status", "Not started", "Done"), ("P1.01", "Owner", "", "Helen"),
            ("P1.02", "% complete", "0 %", "50 %")} <= seen  # fmt: skip
    assert changes.loc[changes["Task"] == "P1.01", "Title"].iloc[0] == load_plan(ROOT / "phases").tasks["P1.01"].title
    assert not (data / "progress.csv").exists(), "a preview writes nothing"
    at = apply(at)
    assert any("Saved" in shown(s.value) and "status.xlsx" in shown(s.value) for s in at.success)
    events = store(data).history()
    assert set(events["source"]) == {"import:status.xlsx"} and set(events["by"]) == {"Importer"}
    assert (events["at"] == events["recorded_at"]).all(), "without a date the changes happen now"


def test_an_unknown_header_is_chosen_and_mapped_on_the_page_and_remembered(data):
    content = b"Weekly list\nFoo,Bar,Baz\nP1.01,done,Ann\nP1.02,wip,Bo\n"
    at = upload(app(PAGE), "foo.csv", content, "text/csv")
    assert "has no header row" in errors(at)[0] and "'Header row'" in errors(at)[0]
    assert table(at, "A").iloc[1].tolist()[:3] == ["Foo", "Bar", "Baz"]  # the first rows, to choose from
    assert "Row 2: Foo · Bar · Baz" in at.selectbox(key="import_header").options
    no_flags(at)
    at.selectbox(key="import_header").set_value(2).run()
    assert "has no task id or title column" in errors(at)[0] and "'Columns'" in errors(at)[0]
    mapped = table(at, "example")
    assert mapped["column"].tolist() == ["Foo", "Bar", "Baz"] and mapped["example"].tolist() == ["P1.01", "done", "Ann"]
    no_flags(at)
    at = map_columns(at, {0: "Task ID", 1: "Status", 2: "Owner"})
    assert not at.error and metrics(at)["Rows with changes"] == "2"
    at = apply(at)
    assert store(data).load().progress.set_index("task_id").loc["P1.02", "status"] == "in_progress"
    assert "Baz" in (data / "mappings.yaml").read_text()
    again = upload(app(PAGE), "foo-next-week.csv", content.replace(b"Ann", b"Cleo"), "text/csv")
    assert not again.error and table(again, "After the import")["After the import"].tolist() == ["Cleo"]


def test_a_rejected_row_refuses_the_import_unless_valid_rows_only(data):
    content = workbook([["ID", "Status", "% complete"], ["P1.01", "Complete", 90], ["P1.02", "wip", 30],
                        ["P9.99", "done", ""]])  # fmt: skip
    at = upload(app(PAGE), "bad.xlsx", content)
    assert metrics(at)["Rows rejected"] == "2"
    problems = table(at, "Why it cannot be imported")
    assert "P9.99" in problems["Value"].tolist()
    assert any("status Done needs percent 100, but percent 90" in m for m in problems["Why it cannot be imported"])
    assert next(b for b in at.button if b.label.startswith("Apply")).disabled
    at.checkbox(key="import_valid_only").check().run()
    apply(at)
    saved = store(data).load().progress.set_index("task_id")
    assert saved.loc["P1.02", "percent"] == 30 and saved.loc["P1.01", "status"] == "not_started"


def test_a_hostile_file_changes_nothing_and_says_why(data):
    at = upload(app(PAGE), "notes.xlsx", b"this is not a workbook")
    assert not at.exception and at.error and "notes.xlsx" in errors(at)[0]
    assert not (data / "progress.csv").exists()


def test_a_day_first_sample_names_the_page_control_never_a_flag(data):
    at = app(PAGE)
    at.selectbox(key="import_sample").set_value("weekly-status.csv").run()
    (error,) = errors(at)
    assert "day-first or month-first" in error and "choose Day first (31/12/2026) under 'Dates written" in error
    no_flags(at)
    at.selectbox(key="import_dates").set_value("dayfirst").run()
    assert not at.error and int(metrics(at)["Rows with changes"]) > 0
    no_flags(at)


def test_a_sheet_left_unread_is_said_with_the_sheet_control(data):
    content = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["Task ID", "Status"])
    book.active.append(["P1.01", "done"])
    book.create_sheet("Lookups").append(["a", "b"])
    book.save(content)
    at = upload(app(PAGE), "two.xlsx", content.getvalue())
    assert any("sheet 'Lookups' not read (pick another sheet under 'Sheet')" in shown(c.value) for c in at.caption)
    no_flags(at)


def test_an_as_of_date_dates_the_changes_and_a_future_or_earlier_one_is_refused(data):
    store(data).save({"P1.03": {"owner": "Grace"}}, None, by="Grace", source="ui",
                     at=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC))  # fmt: skip
    content = workbook([["Task ID", "Status"], ["P1.01", "done"], ["P1.03", "wip"]])
    at = upload(app(PAGE), "september.xlsx", content)
    at.date_input(key="import_as_of").set_value(dt.date(2026, 9, 15)).run()
    problems = table(at, "Why it cannot be imported")
    assert problems["Why it cannot be imported"].tolist() == [
        "P1.03 was last changed on 2026-10-01; a change dated 2026-09-15 would come before it and rewrite its "
        "history out of order"
    ]
    at.checkbox(key="import_valid_only").check().run()
    apply(at)
    events = store(data).history("P1.01")
    assert set(events["at"]) == {"2026-09-15T23:59:59Z"} and (events["recorded_at"] > events["at"]).all()


def test_a_value_changed_in_the_tool_after_the_file_was_saved_needs_confirming(data):
    content = workbook([["Task ID", "Status", "Notes"], ["P0.06", "done", "from the file"]])
    store(data).save({"P0.06": {"status": "blocked", "notes": "waits on budget"}}, None, by="Sam", source="ui",
                     at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))  # fmt: skip
    at = upload(app(PAGE), "older.xlsx", content)
    newer = table(at, "Changed in the tool on")
    assert set(zip(newer["Field"], newer["Now in the tool"], newer["By"], newer["In the file"], strict=True)) == {
        ("Status", "Blocked", "Sam", "Done"), ("Notes", "waits on budget", "Sam", "from the file")}  # fmt: skip
    assert next(b for b in at.button if b.label.startswith("Apply")).disabled
    at.checkbox(key="import_overwrite_newer").check().run()
    apply(at)
    assert store(data).load().progress.set_index("task_id").loc["P0.06", "status"] == "done"


def test_a_conflict_is_counted_once_and_shown_in_words(tmp_path, demo_env):
    from rollout.sheets import exporter

    demo = store(demo_env)
    path = tmp_path / "x.xlsx"
    exporter.write_export(path, load_plan(ROOT / "phases"), demo.load().progress)
    demo.save({"P1.20": {"notes": "changed in the tool"}}, None, by="Grace", source="ui")
    book = openpyxl.load_workbook(path)
    sheet = book["Stage 1"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "P1.20")
    row[12].value = "edited in Excel"
    book.save(path)
    at = upload(app(PAGE), "x.xlsx", path.read_bytes())
    assert metrics(at)["Rows rejected"] == "0" and metrics(at)["Rows in conflict"] == "1"
    conflicts = table(at, "Now in the tool")
    assert conflicts[["Task", "Field", "Now in the tool", "In the file", "Changed by"]].values.tolist() == [
        ["P1.20", "Notes", "changed in the tool", "edited in Excel", "Grace"]
    ]
    no_flags(at)


def test_an_audit_report_adds_its_findings_once(data, tmp_path):
    content = workbook([["Stage 2 audit"], ["NC ref", "Clause", "Grade", "Finding", "Owner"],
                        ["NC-01", "Clause 8.2.4", "Major NC", "No catalogue owner", "Ana"],
                        ["OFI-02", "8.3.2 Business relationship", "OFI", "Survey customers", ""]])  # fmt: skip
    at = app(PAGE)
    at.segmented_control(key="import_records").set_value("findings").run()
    at = upload(at, "stage2.xlsx", content)
    assert "where the findings come from" in errors(at)[0] and "'Findings from'" in errors(at)[0]
    no_flags(at)
    at.selectbox(key="import_source").set_value("stage2").run()
    assert metrics(at)["New findings"] == "2" and metrics(at)["Rows rejected"] == "0"
    added = table(at, "Grade")
    assert added["Grade"].tolist() == ["Major", "Opportunity"] and added["Clauses"].tolist() == ["8.2.4", "8.3.2"]
    at = apply(at)
    findings = store(data).records("findings")
    assert findings["description"].tolist() == ["NC-01: No catalogue owner", "OFI-02: Survey customers"]
    assert set(findings["source"]) == {"stage2"}
    again = upload(app(PAGE), "stage2-again.xlsx", content)
    assert again.session_state["import_records"] == "progress"  # a new session starts on progress
    again.segmented_control(key="import_records").set_value("findings").run()
    again.selectbox(key="import_source").set_value("stage2").run()
    assert metrics(again)["New findings"] == "0" and metrics(again)["Rows unchanged"] == "2"
