"""Settings read from the environment, the same for the CLI and the app."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PHASES = ROOT / "phases"
DEFAULT_DATA = ROOT / "data"
NOT_A_PERSON = ("root", "unknown")  # login names that name nobody in particular: a server's or a container's account


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def phases_dir(flag: str | None = None) -> Path:
    return Path(flag or os.environ.get("ROLLOUT_PHASES") or DEFAULT_PHASES)


DATABASE_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_database(location: str | Path) -> bool:
    """Whether a data location names a database rather than a folder."""
    return str(location).startswith(DATABASE_SCHEMES)


def data_dir(flag: str | None = None) -> Path | str:
    """Where the data is: a folder, or a database URL (postgresql://...), kept as given."""
    location = flag or os.environ.get("ROLLOUT_DATA") or DEFAULT_DATA
    return str(location) if is_database(location) else Path(location)


def refresh_seconds() -> float:
    """How often an open page looks for changes committed elsewhere (ROLLOUT_REFRESH_SECONDS; 0: never)."""
    text = os.environ.get("ROLLOUT_REFRESH_SECONDS", "1")
    try:
        return max(0.0, float(text))
    except ValueError:
        raise ConfigError(f"ROLLOUT_REFRESH_SECONDS={text!r} is not a number of seconds") from None


def today(flag: str | None = None) -> dt.date:
    """Today's date, or the one pinned by ROLLOUT_TODAY for tests and demos."""
    text = flag or os.environ.get("ROLLOUT_TODAY")
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"ROLLOUT_TODAY={text!r} is not a date; expected YYYY-MM-DD") from None


def user(flag: str | None = None) -> str:
    """Who makes a change: --by, else ROLLOUT_USER, else the login name."""
    if flag:
        return flag
    if os.environ.get("ROLLOUT_USER"):
        return os.environ["ROLLOUT_USER"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def person() -> str:
    """The name the app offers before anyone types one: ``user()``, unless it names nobody in particular (an app
    served as root would otherwise name every visitor root)."""
    name = user()
    return "" if name in NOT_A_PERSON else name
