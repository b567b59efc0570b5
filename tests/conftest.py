"""Shared fixtures: plan folders and demo data folders, built once and copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import DEMO_TODAY, ROOT, build_plan, write_scenario


@pytest.fixture
def minimal_plan(tmp_path: Path) -> Path:
    return build_plan(tmp_path)


@pytest.fixture(scope="session")
def bundled_plan():
    from rollout.plan import load_plan

    return load_plan(ROOT / "phases")


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory, bundled_plan) -> Path:
    """The demo state of the bundled plan on DEMO_TODAY, made once per test session."""
    import datetime as dt

    from rollout.demo import write_demo
    from rollout.stores.files import FileStore

    folder = tmp_path_factory.mktemp("demo-master") / "data"
    write_demo(bundled_plan, FileStore(folder, bundled_plan), dt.date.fromisoformat(DEMO_TODAY))
    return folder


@pytest.fixture
def demo_today(monkeypatch) -> None:
    """Today is the demo's day, for the app's code that reads ROLLOUT_TODAY."""
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)


@pytest.fixture
def store(tmp_path, bundled_plan):
    """An empty file store of the bundled plan, in the test's own folder."""
    from rollout.stores.files import FileStore

    return FileStore(tmp_path / "data", bundled_plan)


@pytest.fixture
def demo_data(tmp_path: Path, demo_master: Path) -> Path:
    """A private copy of the demo data folder, free to change."""
    folder = tmp_path / "data"
    shutil.copytree(demo_master, folder)
    return folder


@pytest.fixture
def demo_env(demo_data, monkeypatch) -> Path:
    """A private demo folder, with the environment the app and the CLI read pointing at it."""
    monkeypatch.setenv("ROLLOUT_DATA", str(demo_data))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    monkeypatch.setenv("ROLLOUT_USER", "Page Tester")
    return demo_data


@pytest.fixture(scope="session", autouse=True)
def no_secrets_file(tmp_path_factory):
    """Local mode unless a test says otherwise: no secrets file of the machine or the repository is read.

    Streamlit reads ~/.streamlit/secrets.toml and the one in the working directory; a test signs
    people in through AppTest's ``at.secrets`` and ``at.user`` instead.
    """
    from streamlit.runtime.secrets import secrets_singleton
    from streamlit.testing.v1.util import patch_config_options

    secrets_singleton._reset()
    with patch_config_options({"secrets.files": [str(tmp_path_factory.mktemp("secrets") / "absent.toml")]}):
        yield
    secrets_singleton._reset()


# stores ----------------------------------------------------------------------------
STORE_KINDS = ["csv", "parquet", "postgresql"]


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server for the session; without PostgreSQL its tests skip, except under CI=true."""
    import os

    from pgcluster import Cluster, PostgresUnavailable

    try:
        cluster = Cluster().start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true, and PostgreSQL cannot run here: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL cannot run here: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def database(pg_cluster, request):
    """A new empty database for one test: its URL."""
    import re

    from rollout.stores import sqlschema

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:55]
    url = pg_cluster.create(name)
    yield url
    sqlschema.dispose()
    pg_cluster.drop(name)


@pytest.fixture(params=STORE_KINDS)
def kind(request) -> str:
    """Each kind of store: a folder of CSV, one of Parquet, a PostgreSQL database."""
    return request.param


@pytest.fixture
def new_store(request, tmp_path):
    """``new_store(kind, plan)``: an empty store of that kind (a folder under tmp_path, or a new database)."""
    from rollout.stores.files import FileStore
    from rollout.stores.sql import SqlStore

    def make(kind: str, plan, folder: Path | None = None):
        if kind == "postgresql":
            return SqlStore(request.getfixturevalue("database"), plan)
        store = FileStore(folder or tmp_path / "data", plan)
        store.folder.mkdir(parents=True, exist_ok=True)
        if kind == "parquet":
            store.convert("parquet")
        return store

    return make


@pytest.fixture(scope="session")
def small_scenario(tmp_path_factory):
    """(plan, store) of the small readiness plan after its saves; read-only for tests."""
    return write_scenario(tmp_path_factory.mktemp("small-scenario") / "data")


def pytest_configure(config):
    """Keep the tests' disk cache out of the user's own, in a private folder of this run."""
    import os
    import tempfile

    if "ROLLOUT_CACHE" not in os.environ:
        os.environ["ROLLOUT_CACHE"] = tempfile.mkdtemp(prefix="rollout-test-cache-")
