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
            "empty data folder; write it to a new folder instead: python -m rollout --data NEW_FOLDER demo",
        ),
        (["history", "P9.99"], 1, "P9.99 is not a task of the plan, nor a record id such as F-0001"),
        (["convert", "--to", "xml"], 2, "invalid choice"),
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


def test_demo_fills_an_empty_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "fresh"))
    assert main(["demo", "--today", DEMO_TODAY]) == 0
    assert "wrote the demo" in capsys.readouterr().out


def test_options_are_accepted_after_the_command(demo_data, capsys):
    assert main(["status", "--json", "--data", str(demo_data)]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"] == 115


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
