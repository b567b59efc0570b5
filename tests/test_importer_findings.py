"""Findings from an audit report: the header found by the words auditors use, clauses read from how they are
written, the register's rules (clause, grade, closing, never a verification), nothing added twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from support import DEMO_TODAY

from rollout.cli.sheets import wording
from rollout.records import GRADES, choice, words_for
from rollout.sheets import exporter, findings, importer, mapping
from rollout.sheets.limits import Remedy
from rollout.sheets.mapping import MappingNeeded
from rollout.sheets.targets import FINDINGS
from rollout.stores.files import FileStore

pytestmark = pytest.mark.usefixtures("demo_today")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "stage1-audit-report.xlsx"
HEADER = ["NC Ref", "ISO clause", "Classification", "Details", "Root cause", "Corrective action", "Owner",
          "Deadline", "Status"]  # fmt: skip


def report(tmp_path, rows: list[list], header: list[str] = HEADER, name: str = "report.xlsx") -> Path:
    book = openpyxl.Workbook()
    book.active.append(["Surveillance audit"])
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / name)
    return tmp_path / name


def preview(path, plan, store, **options) -> findings.FindingsPreview:
    return findings.preview_findings(path, plan, store, **({"found_in": "stage2"} | options))


@pytest.mark.parametrize(
    ("word", "grade"),
    [("Major NC", "major"), ("Major nonconformity", "major"), ("minor non-conformity", "minor"), ("Minor", "minor"),
     ("Observation", "observation"), ("OFI", "opportunity"), ("Opportunity for improvement", "opportunity")],
)  # fmt: skip
def test_grades_are_read_from_the_words_audit_reports_use(word, grade):
    assert choice(word, GRADES, "grade") == grade


def test_the_words_read_are_listed_for_help_texts():
    assert words_for(GRADES)["opportunity"][:3] == ["Opportunity", "ofi", "opportunity for improvement"]


@pytest.mark.parametrize(
    ("cell", "read"),
    [("8.2.4", "8.2.4"), ("Clause 8.2.4", "8.2.4"), ("8.2.4 Service catalogue management", "8.2.4"),
     ("8.2.4; 8.3.2", "8.2.4; 8.3.2"), ("8.2.4, 8.2.4.", "8.2.4"), ("ISO/IEC 20000-1:2018 cl. 10.1", "10.1"),
     ("Leadership", "Leadership")],
)  # fmt: skip
def test_clause_ids_are_read_from_how_auditors_write_them(cell, read):
    assert findings.clause_ids(cell) == read


def test_an_audit_report_is_previewed_then_added_in_one_save(tmp_path, bundled_plan, store):
    path = report(tmp_path, [
        ["NC-1", "Clause 8.2.4 Service catalogue management", "Major NC", "No owner for the catalogue", "", "", "Ana",
         dt.date(2027, 1, 31), "Open"],
        ["NC-2", "8.3.2; 8.3.3", "Minor", "Supplier reviews not recorded", "New process", "Record them", "Bo", "",
         "In progress"],
        ["OFI-1", "9.1", "OFI", "Trend the incident data", "", "", "", "", ""],
    ])  # fmt: skip
    p = preview(path, bundled_plan, store)
    assert p.header == 2 and p.mapping["Classification"] == "grade" and p.mapping["Details"] == "description"
    assert p.added[["row", "grade", "clauses", "status"]].values.tolist() == [
        [3, "major", "8.2.4", "open"], [4, "minor", "8.3.2; 8.3.3", "action_planned"], [5, "opportunity", "9.1", "open"]
    ]  # fmt: skip
    assert not store.folder.exists(), "a preview writes nothing"
    result = findings.apply_findings(p, store, by="Lead Auditor")
    saved = store.records("findings").set_index("id")
    assert result.tasks == ["F-0001", "F-0002", "F-0003"] and saved.loc["F-0003", "status"] == "open"
    assert saved.loc["F-0001", "description"] == "NC-1: No owner for the catalogue"
    assert set(store.history()["source"]) == {"import:report.xlsx"}


def test_the_same_report_again_adds_nothing_and_a_changed_row_changes_its_finding(tmp_path, bundled_plan, store):
    rows = [["NC-1", "8.2.4", "Minor", "Catalogue incomplete", "", "", "Ana", "", "Open"],
            ["", "9.2", "Observation", "Audit plan not approved", "", "", "", "", "Open"]]  # fmt: skip
    findings.apply_findings(preview(report(tmp_path, rows), bundled_plan, store), store, by="t")
    again = preview(report(tmp_path, rows, name="again.xlsx"), bundled_plan, store)
    assert (len(again.added), again.changed, again.unchanged) == (0, 0, 2)
    rows[0][5:9] = ["Add the components", "Ana", dt.date(2027, 2, 1), "Closed"]
    later = preview(report(tmp_path, rows, name="later.xlsx"), bundled_plan, store)
    assert later.changes[["id", "field", "new"]].values.tolist() == [
        ["F-0001", "action", "Add the components"], ["F-0001", "due", "2027-02-01"], ["F-0001", "status", "closed"],
        ["F-0001", "closed_on", DEMO_TODAY],
    ]  # fmt: skip
    findings.apply_findings(later, store, by="t")
    assert store.records("findings").set_index("id").loc["F-0001", "status"] == "closed"


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["NC-1", "9.9.9", "Minor", "x", "", "", "", "", ""], "ISO clause", "'9.9.9' is not a leaf clause"),
        (["NC-1", "8.2", "Minor", "x", "", "", "", "", ""], "ISO clause", "'8.2' is not a leaf clause"),
        (["NC-1", "8.2.4", "Severe", "x", "", "", "", "", ""], "Classification", "grade 'Severe' is not one of"),
        (["NC-1", "8.2.4", "Minor", "x", "", "", "", "", "Closed"], "Corrective action", "needs its action written"),
        (["NC-1", "8.2.4", "Minor", "x", "", "Done", "", "", "Verified"], "Status", "an import never verifies"),
        (["NC-1", "8.2.4", "Minor", "x", "", "", "", "31/02/2027", ""], "Deadline", "is not a real date"),
    ],
)
def test_a_row_the_registers_rules_refuse_names_its_column(tmp_path, bundled_plan, store, row, column, message):
    p = preview(report(tmp_path, [row]), bundled_plan, store, dates="dayfirst")
    (problem,) = p.problems.itertuples()
    assert (problem.row, problem.column) == (3, column) and message in problem.message
    assert p.refused and p.added.empty
    with pytest.raises(importer.SpreadsheetError) as caught:
        findings.apply_findings(p, store, by="t")
    assert caught.value.remedy == Remedy("valid_rows_only")


def test_two_rows_for_one_finding_are_both_refused(tmp_path, bundled_plan, store):
    rows = [["NC-1", "8.2.4", "Minor", "a", "", "", "", "", ""], ["NC-1", "8.2.5", "Minor", "b", "", "", "", "", ""]]
    p = preview(report(tmp_path, rows), bundled_plan, store)
    assert p.problems["message"].tolist() == ["the same finding is on rows 3, 4"] * 2


def test_where_the_findings_come_from_must_be_said_once_for_the_file_or_in_a_column(tmp_path, bundled_plan, store):
    path = report(tmp_path, [["NC-1", "8.2.4", "Minor", "a", "", "", "", "", ""]])
    with pytest.raises(MappingNeeded) as caught:
        findings.preview_findings(path, bundled_plan, store)
    assert caught.value.remedy == Remedy("finding_source") and caught.value.layout.columns[0] == "NC Ref"
    assert "--source" in caught.value.text(wording)
    with_column = report(tmp_path, [["NC-1", "8.2.4", "Minor", "a", "Internal audit"]],
                         header=["Ref", "Clause", "Grade", "Finding", "Audit"], name="ia.xlsx")  # fmt: skip
    p = findings.preview_findings(with_column, bundled_plan, store)
    assert p.added["source"].tolist() == ["internal_audit"]


def test_a_report_without_the_needed_columns_asks_for_them_and_the_mapping_is_kept_per_kind(
    tmp_path, bundled_plan, store
):
    path = report(tmp_path, [["1", "8.2.4", "Minor", "Catalogue incomplete"]], header=["Nr", "Norm", "Art", "Text"])
    with pytest.raises(MappingNeeded) as caught:
        preview(path, bundled_plan, store)
    assert caught.value.layout is None and caught.value.head[1] == ["Nr", "Norm", "Art", "Text"]
    with pytest.raises(MappingNeeded, match="has no column holding the findings themselves") as caught:
        preview(path, bundled_plan, store, header=2)
    assert caught.value.remedy == Remedy("map_columns", "description")
    chosen = {"Nr": "id", "Norm": "clauses", "Art": "grade", "Text": "description"}
    p = preview(path, bundled_plan, store, header=2, overrides=chosen)
    findings.apply_findings(p, store, by="t")
    assert mapping.remembered_mapping(store, ["Nr", "Norm", "Art", "Text"], FINDINGS) == chosen
    assert mapping.remembered_mapping(store, ["Nr", "Norm", "Art", "Text"]) is None, "kept per kind of record"
    assert preview(path, bundled_plan, store).unchanged == 1


def test_an_exported_workbook_reads_back_its_findings_sheet(tmp_path, demo_data, bundled_plan):
    demo = FileStore(demo_data, bundled_plan)
    snapshot = demo.load()
    path = tmp_path / "export.xlsx"
    exporter.write_export(path, bundled_plan, snapshot.progress, snapshot.records)
    p = findings.preview_findings(path, bundled_plan, demo)
    assert p.own_export and p.sheets == ["Findings"] and p.rejected == 0
    assert (len(p.added), p.changed, p.unchanged) == (0, 0, len(snapshot.records["findings"]))
    book = openpyxl.load_workbook(path)
    sheet = book["Findings"]
    header = [c.value for c in sheet[1]]
    open_row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("status")].value != "verified")
    open_row[header.index("owner")].value = "New Owner"
    book.save(path)
    p = findings.preview_findings(path, bundled_plan, demo)
    assert p.changes[["field", "new"]].values.tolist() == [["owner", "New Owner"]]
    demo.save_records("findings", [], {open_row[0].value: {"cause": "found later"}}, None, by="Auditor", source="ui")
    stale = findings.preview_findings(path, bundled_plan, demo)
    assert "was changed in the tool since the export" in stale.problems["message"].iloc[0]


def test_the_sample_report_reads_as_documented(bundled_plan, store):
    p = findings.preview_findings(SAMPLE, bundled_plan, store, found_in="stage1")
    assert p.rejected == 0 and set(p.added["grade"]) == {"minor", "observation", "opportunity"}
    assert "Objective evidence" not in p.mapping and p.added["clauses"].tolist()[0] == "8.2.4"
    text = findings.describe_findings(p, wording)
    assert text.endswith("4 new, 0 changed, 0 unchanged, 0 rejected")
