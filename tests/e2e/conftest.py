"""Browser tests: the app served by `streamlit run` on a free port, driven in Debian's chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from support import DEMO_TODAY, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


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
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    yield page
    context.close()
