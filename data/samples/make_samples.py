"""Write the sample spreadsheets of data/samples/: messy, as people keep them, for the demo and the Import page.

Run from the repository root: ``.venv/bin/python data/samples/make_samples.py``. Every sample
imports cleanly into the bundled plan from an empty data folder, with the flags in ``FLAGS``
(see README.md here).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from rollout.plan import Plan, load_plan

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

FLAGS: dict[str, dict[str, str]] = {
    "project-tracker.xlsx": {},
    "weekly-status.csv": {"dates": "dayfirst"},
    "checklist-by-title.xlsx": {},
    "stage1-audit-report.xlsx": {"records": "findings", "source": "stage1"},
}
D = dt.date


def project_tracker(plan: Plan, path: Path) -> None:
    """A PMO tracker: title rows, "% Complete" as fractions shown as percents, odd status words and ids."""
    rows = [
        # ref as typed, status, fraction, responsible, start, target, comments, RAG
        (" p0.01", "Complete", 1, "Helen Marsh", D(2026, 6, 1), D(2026, 6, 12), "Approved by the board", "G"),
        ("P0.02 ", "Completed", 1, "Helen Marsh", D(2026, 6, 8), D(2026, 6, 19), "", "G"),
        ("P0.03", "Complete", 1, "Tom Okafor", D(2026, 6, 8), D(2026, 6, 26), "", "G"),
        ("p0.04", "WIP", 0.6, "Tom Okafor", D(2026, 6, 15), D(2026, 7, 3), "Draft with HR", "A"),
        ("P0.05", "In Progress", 0.8, "Priya Natarajan", D(2026, 6, 15), D(2026, 7, 17), "", "G"),
        ("P0.06", "Complete", 1, "Priya Natarajan", D(2026, 6, 22), D(2026, 7, 10), "Scope signed", "G"),
        ("P0.07", "On Hold", 0.25, "Tom Okafor", D(2026, 7, 1), D(2026, 7, 24), "Waiting for risk workshop", "R"),
        ("P0.08", "Not Started", 0, "", None, D(2026, 8, 7), "", ""),
        ("P0.09", "Not Started", 0, "Helen Marsh", None, D(2026, 8, 14), "", ""),
        ("P0.10", "N/A", None, "", None, None, "Kick-off replaced by town hall", ""),
        ("P1.01", "Complete", 1, "Helen Marsh", D(2026, 7, 1), D(2026, 7, 10), "", "G"),
        ("P1.02", "WIP", 0.45, "Priya Natarajan", D(2026, 7, 6), D(2026, 9, 30), "", "A"),
        ("P1.03", "wip", 0.3, "Priya Natarajan", D(2026, 7, 13), D(2026, 10, 16), "Second review round", "A"),
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = "Project tracker"
    sheet.append([f"{plan.organisation} – ISO/IEC 20000 certification project"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["Status report, week 47"])
    sheet.append([])
    sheet.append(
        ["Ref", "Activity", "Status", "% Complete", "Responsible", "Start Date", "Target Date", "Comments", "RAG"]
    )
    for ref, status, fraction, owner, start, due, notes, rag in rows:
        title = plan.tasks[ref.strip().upper()].title
        sheet.append([ref, title, status, fraction, owner, start, due, notes, rag])
    for row in sheet.iter_rows(min_row=5):
        row[3].number_format = "0%"
        row[5].number_format = row[6].number_format = "dd mmm yyyy"
    sheet.column_dimensions["B"].width = 60
    book.save(path)


def weekly_status(plan: Plan, path: Path) -> None:
    """Excel's "CSV" on a European PC: ';' between cells, Windows-1252 text, day-first dates."""
    rows = [
        ["Weekly status - SMS rollout", "", "", "", "", ""],
        ["Task ID", "Status", "Progress", "Owner", "Due date", "Notes"],
        ["P1.04", "done", "100%", "Grace Lin", "18/09/2026", "Procédure approuvée"],
        ["P1.05", "wip", "50%", "Grace Lin", "30/10/2026", ""],
        ["P1.06", "on hold", "20 %", "Sam Whitfield", "13/11/2026", "Attente du budget – formation"],
        ["P1.07", "to do", "", "Sam Whitfield", "04/12/2026", ""],
        ["P1.08", "in progress", "75%", "Zoë Müller", "27/11/2026", "Relecture par l'équipe qualité"],
        ["P1.09", "Done", "", "Daniel Reyes", "", ""],
    ]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("cp1252"))


def checklist_by_title(plan: Plan, path: Path) -> None:
    """A team checklist without ids: tasks named by their titles, typed with other case and spacing."""
    rows = [
        ("P2.01", "ongoing", 40, "Aisha Khan", D(2026, 12, 18), ""),
        ("P2.02", "closed", 100, "Owen Price", D(2026, 11, 6), "https://sms.example.org/evidence/P2.02"),
        ("P2.03", "blocked", 10, "Raj Patel", D(2027, 1, 15), ""),
        ("P2.04", "Started", 25, "Chloe Martin", D(2027, 1, 29), ""),
        ("P2.05", "not started", 0, "Lena Fischer", D(2027, 2, 12), ""),
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = "Checklist"
    sheet.append(["Task", "State", "Done %", "Assignee", "Deadline", "Evidence link"])
    for number, (task_id, state, done, who, deadline, link) in enumerate(rows):
        title = plan.tasks[task_id].title
        typed = title.lower() if number % 2 else "  " + title.replace(" ", "  ", 2) + " "
        sheet.append([typed, state, done, who, deadline, link])
    for row in sheet.iter_rows(min_row=2):
        row[4].number_format = "dd/mm/yyyy"
    sheet.column_dimensions["A"].width = 70
    book.save(path)


def stage1_audit_report(plan: Plan, path: Path) -> None:
    """A certification body's stage 1 report: title rows, its own finding numbers, clause cells as auditors
    write them, grades in its words, an evidence column the register does not keep."""
    rows = [
        ("S1-NC-01", "Clause 8.2.4 Service catalogue management", "Minor NC",
         "The service catalogue does not show the dependencies between services and service components.",
         "Catalogue entries for Hosting and Backup list no components.", "", "", "Owen Price", D(2027, 1, 29), "Open"),
        ("S1-NC-02", "9.2", "Minor nonconformity",
         "The internal audit programme does not cover clause 8.7 (service assurance) in the audit cycle.",
         "Audit programme v1.1, sheet 2026.", "Programme drawn up before 8.7 was in scope.",
         "Add the 8.7 processes to the programme and audit them before stage 2.", "Priya Natarajan",
         D(2026, 12, 18), "Action planned"),
        ("S1-OBS-01", "7.5.4 Control of documented information", "Observation",
         "Two procedures carry no review date.", "PR-014, PR-022.", "", "", "", None, "Open"),
        ("S1-OFI-01", "8.3.2; 8.3.3", "OFI",
         "Customer satisfaction results could feed the supplier reviews.", "", "", "", "Aisha Khan", None, "Open"),
    ]  # fmt: skip
    book = Workbook()
    sheet = book.active
    sheet.title = "Findings"
    sheet.append(["Certification audit ISO/IEC 20000-1:2018 – Stage 1 report"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Client: {plan.organisation}"])
    sheet.append(["Audit date: 14 October 2026"])
    sheet.append([])
    sheet.append(["Finding No.", "Clause", "Category", "Statement of nonconformity", "Objective evidence",
                  "Root cause", "Corrective action", "Action owner", "Target date", "Status"])  # fmt: skip
    for row in rows:
        sheet.append(list(row))
    for row in sheet.iter_rows(min_row=6):
        row[8].number_format = "dd mmm yyyy"
    sheet.column_dimensions["D"].width = 70
    book.save(path)


WRITERS = {
    "project-tracker.xlsx": project_tracker,
    "weekly-status.csv": weekly_status,
    "checklist-by-title.xlsx": checklist_by_title,
    "stage1-audit-report.xlsx": stage1_audit_report,
}


def main() -> None:
    plan = load_plan(ROOT / "phases")
    for name, write in WRITERS.items():
        write(plan, HERE / name)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
