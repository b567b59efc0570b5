"""`import`, `template` and `export FILE.xlsx` on the command line: preview, exit codes, dry run."""

from __future__ import annotations

import pytest
from spreadsheets import make_corpus
from support import run_cli

from rollout.stores.files import FileStore


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
def store(tmp_path, bundled_plan) -> FileStore:
    return FileStore(tmp_path / "data", bundled_plan)


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
        assert "import refused: 2 rows rejected, nothing saved" in err
    assert not (store.folder / "progress.csv").exists()


def test_valid_rows_only_applies_the_rest(cli, files, store):
    code, out, _ = cli("import", files["duplicates.csv"], "--valid-rows-only")
    assert code == 0 and "2 rejected rows not applied" in out
    assert store.load().progress.set_index("task_id").loc["P1.09", "status"] == "in_progress"


def test_close_title_matches_are_listed_and_exit_1(cli, files):
    code, out, err = cli("import", files["titles_near_miss.xlsx"])
    assert code == 1 and "did you mean P2.03" in out and "import refused" in err


def test_the_date_order_is_asked_for_then_used(cli, files, store):
    code, _, err = cli("import", files["dayfirst_cp1252.csv"])
    assert code == 1 and "could be day-first or month-first" in err and "use --dates dayfirst" in err
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
