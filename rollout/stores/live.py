"""Knowing, without asking the store on every page, that something was committed elsewhere.

One watcher per server process and data location keeps a counter in memory that moves whenever a
change is committed, by any process or server; pages compare it with the one they last drew, an
integer compare, and redraw when it moved. A database announces each commit (LISTEN/NOTIFY, one
connection per process); a folder is looked at twice a second (a few stat calls per process, not
per page). A watcher that loses its database connects again, and reads the counter once connected,
since announcements made while it was away are not kept for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
LOOK_EVERY = 0.5  # seconds between looks at a folder, and between checks of the stop flag


class Watcher:
    """A thread moving ``version`` on by one whenever ``token()`` differs from what it last saw."""

    def __init__(self, name: str):
        self.version = 0
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
        self._thread.join(5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def wait_past(self, version: int, timeout: float) -> bool:
        """Block until the version moves past ``version`` (tests)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.version > version, timeout)

    def _saw(self, token: object) -> None:
        with self._changed:
            if token != self._seen:
                if self._seen is not None:
                    self.version += 1
                self._seen = token
                self._changed.notify_all()
        self.ready.set()

    def _run(self) -> None:
        raise NotImplementedError


class FolderWatcher(Watcher):
    """Looks at a file store's version (the stat of its files) twice a second."""

    def __init__(self, token: Callable[[], object]):
        super().__init__("rollout-folder-watcher")
        self.token = token

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._saw(self.token())
            except OSError:  # a folder being changed is looked at again next time
                log.debug("folder watcher: look failed", exc_info=True)
            self._stop.wait(LOOK_EVERY)
