"""Safe file access: atomic writes (a reader sees the old file or the new one, never a part of either)
and bounded reads (only a regular file, never more than a limit of it).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_scratch = contextvars.ContextVar("scratch", default=False)


@contextlib.contextmanager
def scratch() -> Iterator[None]:
    """Writes meanwhile skip the flushes to the disk: for data whose loss in a power cut costs nothing
    (the demo, written into a folder of its own), where a flush per write would cost most of the time."""
    token = _scratch.set(True)
    try:
        yield
    finally:
        _scratch.reset(token)


def sync(fd: int) -> None:
    """Flush an open file to the disk (not inside ``scratch``)."""
    if not _scratch.get():
        os.fsync(fd)


def sync_file(path: Path) -> None:
    """Flush a file, or a folder's entries (after a rename), to the disk."""
    if _scratch.get():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def temp_beside(path: Path) -> Iterator[Path]:
    """A temporary path in the same folder (so a rename is atomic), removed unless renamed."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
    finally:
        temp.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    """The file's current mode, or what a plain open() would give (mkstemp makes 0600)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(
    path: str | Path,
    write: Callable[[Path], None],
    before_replace: Callable[[], None] | None = None,
    durable: bool = True,
) -> None:
    """Write through ``write(temp_path)``, then rename over ``path``.

    ``durable``: fsync the file before the rename and its folder after, so that the new file is
    whole on the disk once this returns; without, a power cut may still leave the old file, or
    the new one empty (for files whose readers accept that, being worth less than the fsyncs).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with temp_beside(path) as temp:
        write(temp)
        os.chmod(temp, _mode_for(path))
        if durable:
            sync_file(temp)
        if before_replace:
            before_replace()
        os.replace(temp, path)
    if durable:
        sync_file(path.parent)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write(path, lambda temp: temp.write_bytes(data))


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


class NotRegularFile(Exception):
    """The path is a folder, a device or a pipe: it was not read."""


class FileTooLarge(Exception):
    """The file holds more than the limit: ``size`` bytes, as its size says or as many as were read."""

    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def read_regular(path: str | Path, limit: int) -> bytes:
    """A regular file's bytes, never more than ``limit`` + 1 of them read; OSError when it cannot be read.

    A FIFO would block the reader and a device such as /dev/zero would never end: the path is
    checked before it is opened, and what was opened (without waiting) is checked again.
    """
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise NotRegularFile(path)
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path)
        if info.st_size > limit:
            raise FileTooLarge(info.st_size)
        data = stream.read(limit + 1)
    if len(data) > limit:  # the size it gave may be wrong: it grew, or it is a /proc file
        raise FileTooLarge(len(data))
    return data
