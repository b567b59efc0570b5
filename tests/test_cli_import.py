"""`import`, `template` and `export FILE.xlsx` on the command line: preview, exit codes, dry run."""

from __future__ import annotations

import json
import os

import pytest
from spreadsheets import make_corpus
from support import ROOT, run_cli


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run the CLI on a fresh data folder; returns (exit code, stdout, stderr)."""
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("ROLLOUT_USER", "Tester")

    def run(*args: str):
        return run_cli(capsys, *args)

    return run


@pytest.fixture
def files(tmp_path, bundled_plan):
    folder = tmp_path / "files"
    folder.mkdir()
    names = ["title_rows_fractions.xlsx", "duplicates.csv", "titles_near_miss.xlsx", "dayfirst_cp1252.csv"]
    return {n: make_corpus.FILES[n](folder / n, bundled_plan) for n in names}


def test_import_prints_the_preview_and_applies(cli, files, store):
    code, out, err = cli("import", files["title_rows_fractions.xlsx"], "--by", "Priya")
    assert code == 0, err
    assert "row 5     P0.01    status    'not_started' -> 'done'" in out
    assert "1 rows unchanged, 4 changed, 0 rejected" in out and "saved as change 1: 4 tasks" in out
    history = store.history()
    assert set(history["by"]) == {"Priya"} and set(history["source"]) == {"import:title_rows_fractions.xlsx"}


def test_a_dry_run_saves_nothing(cli, files, store):
    code, out, _ = cli("import", files["title_rows_fractions.xlsx"], "--dry-run")
    assert code == 0 and "dry run: nothing saved" in out
    assert not (store.folder / "progress.csv").exists()


def test_rejected_rows_refuse_the_import_and_a_dry_run_says_so(cli, files, store):
    for extra in ([], ["--dry-run"]):
        code, out, err = cli("import", files["duplicates.csv"], *extra)
        assert code == 1
        assert "rejected rows (2):" in out and "P1.08 is on several rows" in out
        assert "duplicates.csv: refused: 2 rows rejected; nothing was saved" in err and "--valid-rows-only" in err
    assert not (store.folder / "progress.csv").exists()


def test_valid_rows_only_applies_the_rest(cli, files, store):
    code, out, _ = cli("import", files["duplicates.csv"], "--valid-rows-only")
    assert code == 0 and "2 rows rejected, not applied" in out
    assert store.load().progress.set_index("task_id").loc["P1.09", "status"] == "in_progress"


def test_close_title_matches_are_listed_and_exit_1(cli, files):
    code, out, err = cli("import", files["titles_near_miss.xlsx"])
    assert code == 1 and "did you mean P2.03" in out and "refused: 1 row rejected" in err


def test_the_date_order_is_asked_for_then_used(cli, files, store):
    code, _, err = cli("import", files["dayfirst_cp1252.csv"])
    assert code == 1 and "could be day-first or month-first" in err and "(hint: use --dates dayfirst)" in err
    code, out, _ = cli("import", files["dayfirst_cp1252.csv"], "--dates", "dayfirst")
    assert code == 0 and "'' -> '2026-09-25'" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--map", "Status=colour"],
        ["--map", "no equals sign"],
        ["--dates", "yearfirst"],
        ["--bogus"],
    ],
)
def test_usage_errors_exit_2(cli, files, args):
    code, _, err = cli("import", files["duplicates.csv"], *args)
    assert code == 2 and err


def test_map_splits_at_the_last_equals_sign(cli, tmp_path, store):
    path = tmp_path / "eq.csv"
    path.write_text("Task ID,a=b\nP1.01,wip\n")
    code, out, err = cli("import", path, "--map", "a=b=status")
    assert code == 0, err
    assert "a=b -> status" in out
    assert store.load().progress.set_index("task_id").loc["P1.01", "status"] == "in_progress"


def test_a_hostile_file_exits_1_with_the_reason(cli, tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not a workbook")
    code, out, err = cli("import", path)
    assert code == 1 and out == ""
    assert err.startswith("error: x.xlsx: is not a spreadsheet")
    assert "Traceback" not in err


def test_template_and_xlsx_export(cli, tmp_path):
    code, out, _ = cli("template", tmp_path / "t.xlsx")
    assert code == 0 and "wrote the import template with 115 tasks" in out
    code, out, _ = cli("template", tmp_path / "t.csv")
    assert code == 0 and (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("Task ID,Title,Status")
    code, _, err = cli("template", tmp_path / "t.txt")
    assert code == 1 and "unknown template format" in err
    code, out, _ = cli("export", tmp_path / "e.xlsx")
    assert code == 0 and (tmp_path / "e.xlsx").read_bytes().startswith(b"PK")
    code, out, _ = cli("import", tmp_path / "e.xlsx")
    assert code == 0 and "115 rows unchanged, 0 changed, 0 rejected" in out


def test_every_remedy_is_worded_once_by_the_cli_and_once_by_the_import_page():
    import ast

    from rollout.cli.sheets import REMEDIES
    from rollout.sheets.limits import REMEDIES as ACTIONS

    assert set(REMEDIES) == set(ACTIONS)
    page = ast.parse((ROOT / "pages" / "5_Import.py").read_text())
    table = next(n.value for n in page.body if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "REMEDIES")
    assert {k.value for k in table.keys} == set(ACTIONS)


def test_the_header_row_and_the_columns_are_said_with_flags(cli, tmp_path, store):
    path = tmp_path / "odd.csv"
    path.write_text("Team tracker\nFoo,Bar,Baz\nP1.01,done,Ann\n")
    code, _, err = cli("import", path)
    assert code == 1 and "has no header row" in err and "--header-row N" in err
    code, _, err = cli("import", path, "--header-row", "2")
    assert code == 1 and "--map COLUMN=task_id" in err and "the columns are: Foo, Bar, Baz" in err
    code, out, err = cli("import", path, "--header-row", "2", "--map", "Foo=task_id", "--map", "Baz=owner")
    assert code == 0, err
    assert "header on row 2" in out and store.load().progress.set_index("task_id").loc["P1.01", "owner"] == "Ann"


def test_as_of_dates_the_changes(cli, tmp_path, store):
    path = tmp_path / "s.csv"
    path.write_text("Task ID,Status\nP1.01,done\n")
    code, _, err = cli("import", path, "--as-of", "2999-01-01")
    assert code == 1 and "is in the future" in err
    code, _, err = cli("import", path, "--as-of", "soon")
    assert code == 2 and "is not a date" in err
    code, out, err = cli("import", path, "--as-of", "2026-09-30")
    assert code == 0 and "changes dated 2026-09-30" in out, err
    code, out, _ = cli("history", "P1.01", "--json")
    events = json.loads(out)
    assert {e["at"] for e in events} == {"2026-09-30T23:59:59Z"} and all(e["recorded_at"] > e["at"] for e in events)


def test_values_changed_in_the_tool_since_the_file_was_saved_need_overwrite_newer(cli, tmp_path, store):
    path = tmp_path / "s.csv"
    path.write_text("Task ID,Notes\nP1.01,from the file\n")
    os.utime(path, (1_000_000_000, 1_000_000_000))  # written in 2001
    store.save({"P1.01": {"notes": "set in the tool"}}, None, by="Grace", source="ui")
    code, out, err = cli("import", path)
    assert code == 1 and "changed in the tool after the file was saved" in out and "--overwrite-newer" in err
    assert "'set in the tool' set on" in out and "by Grace, the file says 'from the file'" in out
    code, _, _ = cli("import", path, "--overwrite-newer")
    assert code == 0 and store.load().progress.set_index("task_id").loc["P1.01", "notes"] == "from the file"


def test_an_audit_report_is_imported_as_findings(cli, store):
    sample = ROOT / "data" / "samples" / "stage1-audit-report.xlsx"
    code, _, err = cli("import", sample, "--records", "findings")
    assert code == 1 and "where the findings come from" in err and "--source (internal_audit" in err
    code, out, err = cli("import", sample, "--records", "findings", "--source", "stage1")
    assert code == 0, err
    assert "new findings (4):" in out and "saved as change 1: F-0001, F-0002, F-0003, F-0004" in out
    code, out, _ = cli("import", sample, "--records", "findings", "--source", "stage1")
    assert code == 0 and "0 new, 0 changed, 4 unchanged, 0 rejected" in out and "nothing to save" in out
    code, _, err = cli("import", sample, "--records", "findings", "--as-of", "2026-10-01")
    assert code == 2 and "for progress" in err
    code, out, _ = cli("findings", "--json")
    assert [f["grade"] for f in json.loads(out)] == ["minor", "minor", "observation", "opportunity"]


def test_set_reads_a_date_that_fits_one_order_and_never_mentions_a_flag_it_lacks(cli, store):
    code, _, err = cli("set", "P2.10", "due=31/12/2026")
    assert code == 0, err
    assert str(store.load().progress.set_index("task_id").loc["P2.10", "due"])[:10] == "2026-12-31"
    code, _, err = cli("set", "P2.10", "due=01/02/2027")
    assert code == 1 and "write it as YYYY-MM-DD (2027-01-02 or 2027-02-01)" in err and "--" not in err
