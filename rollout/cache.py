"""A disk cache of parsed and computed results, keyed on the files they come from.

A parsed plan or a set of readiness figures is stored once per state of its files (names,
modification times and sizes) and of this package's code, so that opening the same rollout
again reads one file instead of parsing YAML and replaying a long history. The cache is
private to the user (a folder of mode 0700 they own); anything unreadable is recomputed.
``ROLLOUT_CACHE`` moves it, or turns it off with ``off``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import yaml

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent
KEEP = 24  # entries of each kind; older ones are removed


def folder() -> Path | None:
    """The cache folder, or None when caching is off or the folder is not safely the user's own."""
    setting = os.environ.get("ROLLOUT_CACHE", "")
    if setting.lower() == "off":
        return None
    base = (
        Path(setting)
        if setting
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "iso20000-rollout"
    )
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = base.stat()
    except OSError:
        return None
    # pickles run code when loaded: only a folder nobody else can write is trusted
    return base if info.st_uid == os.getuid() and not info.st_mode & 0o022 else None


def stamp(paths: Iterable[Path]) -> tuple:
    """Name, modification time and size of each path that exists, in order."""
    marks = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        marks.append((str(path.resolve()), info.st_mtime_ns, info.st_size))
    return tuple(marks)


def code_stamp() -> tuple:
    """This package's code and the versions of Python and of the libraries whose objects are pickled."""
    return (sys.version, pd.__version__, np.__version__, yaml.__version__, stamp(sorted(PACKAGE.rglob("*.py"))))


def cached(kind: str, key: tuple, compute: Callable[[], T]) -> T:
    """The value stored for ``key``, or ``compute()`` stored for next time."""
    where = folder()
    if where is None:
        return compute()
    digest = hashlib.sha256(repr((kind, key, code_stamp())).encode()).hexdigest()[:32]
    path = where / f"{kind}-{digest}.pickle"
    try:
        with open(path, "rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        pass
    value = compute()
    _store(where, kind, path, value)
    return value


def _store(where: Path, kind: str, path: Path, value: object) -> None:
    """Write atomically and keep the newest entries; a cache that cannot be written is only slower."""
    try:
        fd, name = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=where)
    except OSError:
        return
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        temp.unlink(missing_ok=True)
        return
    _prune(where, kind)


def _prune(where: Path, kind: str) -> None:
    entries = []
    for entry in where.glob(f"{kind}-*.pickle"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry))
        except OSError:  # removed by another process meanwhile
            continue
    for _, old in sorted(entries)[:-KEEP]:
        old.unlink(missing_ok=True)
