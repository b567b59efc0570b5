"""What only the SQL store does: its schema made once however many servers start together, the history
guarded by the database itself, moving a folder in and out through the command line, a database that
cannot be reached."""

from __future__ import annotations

import json
import multiprocessing

import psycopg
import pytest
import sqlalchemy as sa

from rollout.cli import main
from rollout.progress import StoreError
from rollout.stores import sqlschema
from rollout.stores.files import FileStore
from rollout.stores.sql import SqlStore

TASKS = [f"P1.{i:03d}" for i in range(1, 21)]


def _upgrade(url: str) -> bool:
    return sqlschema.upgrade(sa.create_engine(sqlschema.driver_url(url), poolclass=sa.NullPool))


def test_servers_starting_together_make_the_schema_once(database):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        migrated = pool.map(_upgrade, [database] * 4)
    assert sorted(migrated) == [False, False, False, True]
    with psycopg.connect(database) as connection:
        tables = {r[0] for r in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert set(sqlschema.TABLES) | {"alembic_version"} <= tables


@pytest.mark.parametrize("statement", ["UPDATE history SET new = 'x'", "DELETE FROM history", "TRUNCATE history"])
def test_the_database_refuses_to_change_or_remove_a_history_row(database, statement):
    store = SqlStore(database, TASKS)
    store.save({"P1.001": {"owner": "Ann"}}, None, by="Ann", source="cli")
    with (
        psycopg.connect(database) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        connection.execute(statement)
    assert store.history()["new"].tolist() == ["Ann"]


def test_a_refused_save_leaves_no_trace_and_announces_nothing(database):
    store = SqlStore(database, TASKS)
    with psycopg.connect(database, autocommit=True) as listener:
        listener.execute(f"LISTEN {sqlschema.CHANNEL}")
        store.save({"P1.001": {"owner": "Ann"}}, None, by="Ann", source="cli")
        with pytest.raises(StoreError):
            store.save({"P1.001": {"percent": "lots"}}, None, by="Ann", source="cli")
        heard = [n.payload for n in listener.notifies(timeout=1, stop_after=5)]
    assert heard == ["1"] and store.load().seq == 1 and len(store.history()) == 1


def test_a_folder_moves_into_a_database_and_back_through_the_command_line(database, demo_data, tmp_path, capsys,
                                                                          bundled_plan):  # fmt: skip
    assert main(["--data", str(demo_data), "convert", "--to", database]) == 0
    assert "the source was left as it was" in capsys.readouterr().out
    assert main(["--data", database, "status", "--json"]) == 0
    on_database = json.loads(capsys.readouterr().out)
    assert main(["--data", str(demo_data), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == on_database
    assert main(["--data", database, "convert", "--to", "parquet"]) == 2
    assert "--into DIR" in capsys.readouterr().err
    assert main(["--data", database, "convert", "--to", "parquet", "--into", str(tmp_path / "back")]) == 0
    back, first = FileStore(tmp_path / "back", bundled_plan), FileStore(demo_data, bundled_plan)
    assert back.format() == "parquet" and back.load().seq == first.load().seq
    assert back.history().equals(first.history())


def test_restore_to_a_change_through_the_command_line(database, capsys):
    assert main(["--data", database, "set", "P1.01", "owner=Ann", "--by", "Ann"]) == 0
    assert main(["--data", database, "set", "P1.01", "owner=Bob", "--by", "Bob"]) == 0
    assert main(["--data", database, "restore"]) == 0
    assert "restore to a change with --to-seq N" in capsys.readouterr().out
    assert main(["--data", database, "restore", "--to-seq", "1", "--by", "Lead"]) == 0
    assert "restored the progress of change 1: 1 tasks changed (change 3)" in capsys.readouterr().out
    assert main(["--data", database, "history", "P1.01", "--json"]) == 0
    assert [e["new"] for e in json.loads(capsys.readouterr().out)] == ["Ann", "Bob", "Ann"]


def test_a_database_that_cannot_be_reached_is_named_without_its_password(pg_cluster, capsys):
    url = f"postgresql://postgres:s3cret@127.0.0.1:{pg_cluster.port}/no_such_database"
    assert main(["--data", url, "status"]) == 1
    err = capsys.readouterr().err
    assert "the database cannot be reached" in err and "no_such_database" in err and "s3cret" not in err
