"""An exclusive lock on a data folder that serves waiting processes in turn.

A file lock that waiters poll lets a process saving again and again take it back before a
waiter's next poll, for as long as it keeps saving. Here a waiter first takes a ticket: a
file in ``.queue/`` named by when it arrived, which it holds with a file lock of its own while
it waits. It tries the folder's lock only when no older ticket is ahead of it, so a process
that has just saved queues behind those already waiting. A ticket whose file lock is free
belongs to a process that died while waiting; whoever finds it removes it. Mutual exclusion
comes from the folder's lock alone: the queue only orders who tries it.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import filelock

POLL = 0.005  # seconds between looks; the first in line takes the lock within this of its release


class Turns:
    def __init__(self, lock_file: Path, timeout: float):
        self.lock = filelock.FileLock(lock_file, timeout=0, thread_local=False, preserve_lock_file=True)
        self.queue = lock_file.with_name(".queue")
        self.timeout = timeout

    def acquire(self) -> None:
        """Take the lock in turn; filelock.Timeout when it is not ours within the timeout."""
        deadline = time.monotonic() + self.timeout
        self.queue.mkdir(exist_ok=True)
        ticket = self.queue / f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # locked under a hidden name, then renamed: a ticket is never seen before its owner holds it
        held = _lock(ticket.with_name(f".{ticket.name}"))
        held.acquire()
        os.replace(held.lock_file, ticket)
        try:
            while True:
                if self._first(ticket) and _taken(self.lock):
                    return
                if time.monotonic() > deadline:
                    raise filelock.Timeout(str(self.lock.lock_file))
                time.sleep(POLL)
        finally:
            held.release()
            ticket.unlink(missing_ok=True)

    def release(self) -> None:
        self.lock.release()

    def _first(self, ticket: Path) -> bool:
        """No live ticket older than ours; dead ones are removed on the way."""
        for other in sorted(p for p in self.queue.iterdir() if not p.name.startswith(".")):
            if other.name >= ticket.name:
                return True
            probe = _lock(other)
            if _taken(probe):  # its owner is gone
                probe.release()
                other.unlink(missing_ok=True)
            else:
                return False
        return True


def _lock(path: Path) -> filelock.FileLock:
    return filelock.FileLock(path, timeout=0, thread_local=False, preserve_lock_file=True)


def _taken(lock: filelock.FileLock) -> bool:
    try:
        lock.acquire()
    except filelock.Timeout:
        return False
    return True
