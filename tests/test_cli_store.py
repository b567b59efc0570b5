"""The progress commands of the CLI: options, outputs, JSON shapes and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from support import DEMO_TODAY, ROOT, run_cli

from rollout.cli import main


@pytest.fixture
def cli(demo_data, monkeypatch, capsys):
    """Run the CLI on a private demo folder; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("ROLLOUT_DATA", str(demo_data))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    monkeypatch.setenv("ROLLOUT_USER", "Tester")

    def run(*args: str):
        return run_cli(capsys, *args)

    return run


def test_status_json_has_the_designed_shape(cli):
    code, out, _ = cli("status", "--json")
    data = json.loads(out)
    assert code == 0
    assert {"overall", "tasks", "done", "not_applicable", "phases"} <= set(data)
    assert data["tasks"] == 115 and 0 < data["overall"] < 1
    first = data["phases"][0]
    assert {"phase", "name", "tasks", "done", "readiness", "gate_met", "gate_at_risk", "gate_missing"} <= set(first)
    assert sum(p["tasks"] for p in data["phases"]) == 115


def test_status_prints_a_readable_table(cli):
    code, out, _ = cli("status")
    assert code == 0 and "Implementation progress: " in out and "Clauses implemented: " in out and "Initiation" in out


def test_set_applies_the_shared_rules_and_records_who(cli):
    code, out, _ = cli("set", "P4.03", "status=done", "notes=a=b", "--by", "Ann")
    assert code == 0 and "status done, 100 %" in out
    _, out, _ = cli("history", "P4.03", "--json")
    events = json.loads(out)
    assert {(e["field"], e["new"], e["by"], e["source"]) for e in events} >= {
        ("status", "done", "Ann", "cli"), ("percent", "100", "Ann", "cli"), ("notes", "a=b", "Ann", "cli")}  # fmt: skip
    assert list(events[0]) == ["seq", "at", "by", "source", "task_id", "field", "old", "new", "recorded_at"]


def test_set_clears_a_field_with_an_empty_value_and_uses_rollout_user(cli):
    cli("set", "P4.03", "owner=Someone")
    code, _, _ = cli("set", "P4.03", "owner=")
    _, out, _ = cli("history", "P4.03", "--json")
    assert code == 0 and json.loads(out)[-1] | {"at": None, "seq": None, "recorded_at": None} == {
        "seq": None, "at": None, "by": "Tester", "source": "cli", "task_id": "P4.03", "field": "owner",
        "old": "Someone", "new": "", "recorded_at": None}  # fmt: skip


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["set", "P4.03", "colour=red"], 2, "FIELD=VALUE"),
        (["set", "P4.03", "status"], 2, "FIELD=VALUE"),
        (["set", "P4.03", "percent=140"], 1, "percent '140' is out of range"),
        (["set", "P4.03", "status=done", "percent=40"], 1, "needs percent 100"),
        (["set", "P9.99", "status=done"], 1, "not a task of the plan"),
        (["set", "P4.03", "owner=x", "--if-revision", "7"], 1, "conflict, nothing saved"),
        (["restore", "nope"], 1, "no backup named"),
        (
            ["demo"],
            1,
            "empty data folder or database; write it to a new folder instead: python -m rollout --data NEW_FOLDER demo",
        ),
        (["history", "P9.99"], 1, "P9.99 is not a task of the plan, nor a record id such as F-0001"),
        (["convert", "--to", "xml"], 2, "expected csv, parquet or a postgresql:// URL"),
        (["export", "out.txt"], 1, "unknown export format"),
    ],
)
def test_refusals_say_why_and_use_the_designed_exit_codes(cli, args, code, fragment):
    got, _, err = cli(*args)
    assert got == code and fragment in err and "Traceback" not in err


def test_set_with_the_right_revision_is_accepted(cli):
    _, out, _ = cli("history", "P4.03", "--json")
    code, out, _ = cli("set", "P4.03", "owner=x", "--if-revision", "0")
    assert code == 0 and "revision 1" in out


def test_export_csv_and_parquet_carry_the_designed_columns(cli, tmp_path):
    columns = ["task_id", "stage", "title", "clauses", "deliverable", "role", "status", "percent", "owner", "start",
               "due", "evidence", "notes", "updated_at", "updated_by", "revision",  # then more, for people to read:
               "kind", "clauses_2011", "verified_by", "verified_at"]  # fmt: skip
    for name in ("out.csv", "out.parquet"):
        code, out, _ = cli("export", str(tmp_path / name))
        assert code == 0 and "wrote 115 tasks" in out
    csv = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert list(csv.columns) == columns == list(parquet.columns)
    assert csv["start"].str.fullmatch(r"(\d{4}-\d\d-\d\d)?").all()


def test_convert_compact_and_restore_from_the_command_line(cli, demo_data):
    code, out, _ = cli("convert", "--to", "parquet")
    assert code == 0 and (demo_data / "progress.parquet").exists()
    cli("set", "P4.03", "owner=x")
    cli("set", "P4.02", "owner=y")
    code, out, _ = cli("compact")
    assert code == 0 and "merged" in out
    code, out, _ = cli("restore")
    names = out.split()
    assert code == 0 and len(names) == 20
    code, out, _ = cli("restore", names[-1])
    assert code == 0 and "restored" in out
    code, out, _ = cli("convert", "--to", "csv")
    assert code == 0 and (demo_data / "progress.csv").exists()


@pytest.mark.slow
def test_demo_fills_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "fresh"))
    assert main(["demo", "--today", DEMO_TODAY]) == 0
    assert "wrote the demo" in capsys.readouterr().out


def test_options_are_accepted_after_the_command(demo_data, capsys):
    assert main(["status", "--json", "--data", str(demo_data)]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"] == 115


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_a_percent_that_is_no_finite_number_is_refused_without_a_traceback(cli, value):
    code, _, err = cli("set", "P4.03", f"percent={value}")
    assert code == 1 and "percent" in err and "Traceback" not in err


def test_a_note_as_long_as_a_cell_holds_survives_an_untouched_workbook_round_trip(cli, tmp_path):
    note = "=" + "x" * 32_765  # the export quotes it: 32,767 characters in the cell
    assert cli("set", "P4.03", f"notes={note}")[0] == 0
    code, out, err = cli("set", "P4.02", "notes=" + "x" * 32_768)
    assert code == 1 and "32,767" in err
    cli("export", str(tmp_path / "out.xlsx"))
    code, out, err = cli("import", str(tmp_path / "out.xlsx"))
    assert code == 0 and "nothing to save" in out, out + err


def test_a_workbook_export_names_a_saved_value_it_could_not_keep(bundled_plan, demo_data):
    from rollout.sheets.exporter import ExportError, export_bytes
    from rollout.stores.files import FileStore

    progress = FileStore(demo_data, bundled_plan).load().progress
    progress.loc[progress["task_id"] == "P1.01", "notes"] = "saved before the rule \x1b[31m"
    with pytest.raises(ExportError, match=r"P1\.01 notes holds the control character U\+001B"):
        export_bytes(bundled_plan, progress)
    assert export_bytes(bundled_plan, progress, ".csv")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "{data}/progress.csv"],
        ["export", "{data}/history.csv"],
        ["export", "{data}/../data/./progress.xlsx"],
        ["export", "{data}/backups/progress-copy.csv"],
        ["export", "{data}/findings.csv"],
        ["export", "{link}"],
        ["template", "{data}/mappings.yaml"],
        ["template", "{data}/history.csv"],
        ["report", "{data}/.lock"],
        ["report", "{tmp}/pack.html", "--png", "{data}/history"],
    ],
)
def test_no_command_writes_over_a_file_of_the_store(cli, demo_data, tmp_path, args):
    (tmp_path / "link.csv").symlink_to(demo_data / "history.csv")
    before = {p: p.read_bytes() for p in demo_data.rglob("*") if p.is_file()}
    words = [a.format(data=demo_data, link=tmp_path / "link.csv", tmp=tmp_path) for a in args]
    code, _, err = cli(*words)
    assert code == 1 and "is one of the data folder's own files or folders" in err, err
    assert {p: p.read_bytes() for p in demo_data.rglob("*") if p.is_file()} == before
    code, out, _ = cli("history", "P1.01", "--json")
    assert code == 0 and json.loads(out), "the change log still reads"


@pytest.mark.parametrize("command", [["status"], ["set", "P4.03", "owner=x"], ["history"], ["restore"]])
def test_a_misspelt_data_folder_is_refused_not_created(cli, tmp_path, command):
    code, _, err = cli("--data", str(tmp_path / "dta"), *command)
    assert code == 1 and f"{tmp_path / 'dta'}: no such data folder; create it first or check the spelling" in err
    assert not (tmp_path / "dta").exists()


def test_the_command_line_never_prints_a_terminal_control_character(cli):
    for args in (["history", "P4\x1b[2J"], ["set", "P9\x1b]0;owned\x07", "owner=x"], ["set", "P4.03", "notes=\x9b1m"]):
        _, out, err = cli(*args)
        assert not any(c in out + err for c in "\x1b\x07\x9b"), out + err
    assert "P4\\u001b[2J" in cli("history", "P4\x1b[2J")[2]


def test_escaped_json_still_reads_as_the_same_values():
    from rollout.cli.common import printable

    value = {"by": "Eve\x1b[2J\x9b\u202e", "notes": "line\nbreak\ttab"}
    assert json.loads(printable(json.dumps(value, ensure_ascii=False))) == value


def test_a_name_with_control_characters_is_refused(cli):
    code, _, err = cli("set", "P4.03", "owner=Ann", "--by", "Eve\x1b[2J")
    assert code == 1 and "U+001B" in err and "Traceback" not in err


def test_a_damage_message_words_its_repair_as_a_command_that_works(cli, demo_data):
    newest = sorted(p.name for p in (demo_data / "backups").glob("progress-*"))[-1]
    (demo_data / "progress.csv").write_bytes(b"task_id,status\nP1.01,done\n")
    code, _, err = cli("status")
    assert code == 1 and f"to repair it: python -m rollout restore {newest}" in err
    code, out, err = cli("restore", newest)
    assert code == 0 and f"restored {newest}" in out, err
    assert cli("status")[0] == 0


def test_a_damaged_history_is_listed_restored_and_blocks_saves_meanwhile(cli, demo_data):
    whole = (demo_data / "history.csv").read_bytes()
    (demo_data / "history.csv").write_bytes(whole[: len(whole) // 2])
    code, _, err = cli("set", "P4.03", "owner=x")
    assert code == 1 and "history.csv" in err and "to repair it: python -m rollout restore history-" in err
    code, out, _ = cli("restore")
    (name,) = [n for n in out.split() if n.startswith("history-")]
    code, out, err = cli("restore", name)
    assert code == 0 and "history.csv restored from" in out, err
    assert (demo_data / "history.csv").read_bytes() == whole
    assert cli("set", "P4.03", "owner=x")[0] == 0


def test_history_takes_a_record_id_as_well_as_a_task(cli):
    code, out, err = cli("history", "F-0001")
    assert code == 0 and "F-0001" in out and not err
    code, out, _ = cli("history", "P4.03")
    assert code == 0 and out == "no changes recorded yet for P4.03\n"


def test_a_change_without_a_name_records_the_login_name_and_says_how_to_give_one(cli, monkeypatch):
    monkeypatch.delenv("ROLLOUT_USER")
    monkeypatch.setattr("rollout.config.getpass.getuser", lambda: "root")
    code, _, err = cli("set", "P4.03", "owner=x")
    assert code == 0 and "recorded as 'root', the login name; --by NAME or ROLLOUT_USER names a person" in err
    _, out, _ = cli("history", "P4.03", "--json")
    assert json.loads(out)[-1]["by"] == "root"


def test_a_reader_that_stops_early_is_no_error(demo_data):
    """`rollout readiness | head -1`: the pipe closes before the table ends."""
    env = {**os.environ, "ROLLOUT_DATA": str(demo_data), "ROLLOUT_TODAY": DEMO_TODAY}
    command = [sys.executable, "-m", "rollout", "readiness"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT) as process:
        process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read().decode()
    assert process.returncode == 0 and err == ""
