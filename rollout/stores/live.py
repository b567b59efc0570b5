"""Knowing, without asking the store on every page, that something was committed elsewhere.

One watcher per server process and data location follows the commits, by any process or server: a
database announces each one (LISTEN/NOTIFY, one connection per process); a folder is looked at twice
a second (a few stat calls per process, not per page). It keeps the state it last saw as a short
text (``seen``), the same on every server for the same commit, and tells ``on_change`` whenever it
moves; pages compare that text with the one they drew. A watcher that loses its database connects
again, and reads the counter once connected, since announcements made while it was away are not
kept for it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
LOOK_EVERY = 0.5  # seconds between looks at a folder, and between checks of the stop flag


class Watcher:
    """A thread moving ``version`` on by one whenever ``token()`` differs from what it last saw."""

    def __init__(self, name: str, on_change: Callable[[str], None] | None = None):
        self.version = 0
        self.seen = ""  # the state last seen, as text: a commit's seq, or a digest of a folder's stamps
        self.on_change = on_change
        self.ready = threading.Event()  # set once it has looked: from then on every commit moves the version
        self._seen: object = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.look()
        self._thread.join(5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def look(self) -> None:
        """Look again now rather than at the next round (a folder); a database announces every commit anyway."""

    def wait_past(self, version: int, timeout: float) -> bool:
        """Block until the version moves past ``version``."""
        with self._changed:
            return self._changed.wait_for(lambda: self.version > version, timeout)

    def _saw(self, token: object) -> None:
        with self._changed:
            moved = token != self._seen
            if moved:
                if self._seen is not None:
                    self.version += 1
                self._seen = token
                self.seen = token if isinstance(token, str) else hashlib.sha1(repr(token).encode()).hexdigest()[:16]
                self._changed.notify_all()
        if moved and self.on_change:
            self.on_change(self.seen)
        self.ready.set()

    def _run(self) -> None:
        raise NotImplementedError


class FolderWatcher(Watcher):
    """Looks at a file store's version (the stat of its files) twice a second."""

    def __init__(self, token: Callable[[], object], on_change: Callable[[str], None] | None = None):
        super().__init__("rollout-folder-watcher", on_change)
        self.token = token
        self._wake = threading.Event()

    def look(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._saw(self.token())
            except OSError:  # a folder being changed is looked at again next time
                log.debug("folder watcher: look failed", exc_info=True)
            self._wake.wait(LOOK_EVERY)
            self._wake.clear()
