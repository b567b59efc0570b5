"""A throwaway PostgreSQL cluster for the tests and the benchmark: initdb and pg_ctl on a free loopback port.

Debian's ``postgresql`` package provides the binaries. initdb refuses to run as root, so as root the
server runs as the ``postgres`` user (runuser). The cluster lives in a temporary folder (not under
pytest's tmp_path, which the postgres user cannot enter), trusts local connections, skips fsync, and
is stopped and removed at the end.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries, or a user to run them as, are missing."""


def bindir() -> Path:
    """PG_BINDIR when set, else the newest /usr/lib/postgresql/*/bin, else the folder of initdb on PATH."""
    wanted = ("initdb", "pg_ctl", "postgres")
    explicit = os.environ.get("PG_BINDIR")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(re.findall(r"\d+", p)[-1]), reverse=True)
    on_path = shutil.which("initdb")
    candidates = [explicit] if explicit else [*found, *([os.path.dirname(on_path)] if on_path else [])]
    for folder in candidates:
        if all(os.access(os.path.join(folder, b), os.X_OK) for b in wanted):
            return Path(folder)
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries ({', '.join(wanted)}) in {', '.join(candidates) or 'PATH or /usr/lib/postgresql'}; "
        "install Debian's postgresql package"
    )


def _run_as() -> tuple[list[str], str | None]:
    """The command prefix that drops root, and the user the cluster's folder belongs to."""
    if os.geteuid() != 0:
        return [], None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root, and there is no postgres user to run the server as") from None
    return ["runuser", "-u", "postgres", "--"], "postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """One server on a free loopback port; ``url(name)`` for a database, ``create``/``drop`` for fresh ones."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.prefix, self.owner = _run_as()
        self.base = Path(tempfile.mkdtemp(prefix="rollout-pg-"))
        self.port = 0

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _cmd(self, *args: str) -> None:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PGTZ": "UTC"}
        done = subprocess.run([*self.prefix, *args], env=env, cwd=self.base, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stdout}{done.stderr}{self.log()}")

    def start(self) -> Cluster:
        if self.owner:
            entry = pwd.getpwnam(self.owner)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._cmd(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
        settings = {
            "listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{self.base}'", "fsync": "off",
            "synchronous_commit": "off", "full_page_writes": "off", "timezone": "'UTC'", "max_connections": "200",
        }  # fmt: skip
        with open(self.data / "postgresql.auto.conf", "a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        for _ in range(5):  # another process may take the free port first
            self.port = free_port()
            try:
                self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                          "-o", f"-p {self.port}", "-w", "-t", "60", "start")  # fmt: skip
                return self
            except RuntimeError:
                continue
        self.stop()
        raise RuntimeError(f"the PostgreSQL server did not start: {self.log()}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def log(self) -> str:
        try:
            return (self.base / "server.log").read_text()[-3000:]
        except OSError:
            return ""

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)

    def create(self, name: str) -> str:
        """A new empty database; its URL."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if pid_file.exists():
            try:
                self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")
            except RuntimeError:  # our own server, by its PID
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        shutil.rmtree(self.base, ignore_errors=True)
