"""Browser tests: the app served by `streamlit run` on a free port, driven in Debian's chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from support import DEMO_TODAY, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
COOKIE_SECRET = "e2e-cookie-secret-of-forty-characters-00"
ROLE_MAP = {"sms-leads": "lead", "sms-readers": "viewer"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(
    data: Path, log: Path, today: str = DEMO_TODAY, secrets: Path | None = None
) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on 127.0.0.1 with its log in a file; waits for the health check.

    ``secrets``: the only secrets file the app reads (never the repository's or the machine's);
    without one, a missing file: local mode.
    """
    port = free_port()
    env = {**os.environ, "ROLLOUT_DATA": str(data), "ROLLOUT_TODAY": today, "ROLLOUT_USER": "Browser Tester"}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--secrets.files", str(secrets or log.parent / "absent-secrets.toml")]  # fmt: skip
    handle = open(log, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the app did not start; its log:\n{log.read_text()}")


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}, but under CI=true they must run")
        print(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium_path),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, demo_master):
    """The app on a private copy of the demo data; yields (url, data folder)."""
    folder = tmp_path_factory.mktemp("e2e")
    data = folder / "data"
    shutil.copytree(demo_master, data)
    process, url = start_app(data, folder / "streamlit.log")
    yield url, data
    stop_app(process)


@pytest.fixture
def two_servers(database, bundled_plan, demo_master, tmp_path):
    """Two app servers on one database holding the demo, as behind a load balancer: (URL, [server URLs])."""
    from rollout.stores.files import FileStore
    from rollout.stores.sql import SqlStore

    SqlStore(database, bundled_plan).fill(FileStore(demo_master, bundled_plan).dump())
    servers = [start_app(database, tmp_path / f"server-{name}.log") for name in "ab"]
    yield database, [url for _, url in servers]
    for process, _ in servers:
        stop_app(process)


@dataclass
class Provider:
    """oidc-provider-mock on a loopback port: whoever signs in gets the claims set for their subject."""

    url: str

    @property
    def discovery(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def set_user(self, sub: str, claims: dict) -> None:
        request = urllib.request.Request(
            f"{self.url}/users/{quote(sub, safe='')}", data=json.dumps(claims).encode(), method="PUT",
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 204


@pytest.fixture(scope="session")
def provider():
    """The identity provider in a thread of the test process, on 127.0.0.1 (its own runner binds to localhost)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    with warnings.catch_warnings(record=True):  # Authlib announces its own deprecations on import, whatever the filters
        import oidc_provider_mock

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args) -> None:  # one line per request would bury a failure's output
            pass

    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield Provider(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    server.server_close()
    thread.join(5)


def write_secrets(path: Path, provider: Provider) -> Path:
    """The test server's own secrets file: sign-in against the provider, the browser on 127.0.0.1 as well."""
    auth = {
        "redirect_uri": "http://127.0.0.1:{port}/oauth2callback",  # Streamlit fills in its port
        "cookie_secret": COOKIE_SECRET,
        "client_id": "rollout-e2e",
        "client_secret": "rollout-e2e-secret",
        "server_metadata_url": provider.discovery,
    }
    lines = ["[auth]", *(f"{k} = {json.dumps(v)}" for k, v in auth.items()), "", "[rollout.role_map]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in ROLE_MAP.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def signed_in_server(tmp_path_factory, demo_master, provider):
    """The app with sign-in on a private copy of the demo data; yields (url, data folder)."""
    folder = tmp_path_factory.mktemp("e2e-sign-in")
    data = folder / "data"
    shutil.copytree(demo_master, data)
    process, url = start_app(data, folder / "streamlit.log", secrets=write_secrets(folder / "secrets.toml", provider))
    yield url, data
    stop_app(process)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
