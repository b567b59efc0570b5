"""Paths and builders shared by the tests (importable as ``support``)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANS = Path(__file__).resolve().parent / "plans"
DEMO_TODAY = "2026-11-28"


def build_plan(tmp_path: Path, overlay: Path | None = None) -> Path:
    """The minimal plan copied to tmp_path, with an overlay's files (``x.absent`` deletes x)."""
    folder = tmp_path / "phases"
    shutil.copytree(PLANS / "minimal", folder)
    for path in sorted(overlay.iterdir()) if overlay else []:
        if path.suffix == ".absent":
            (folder / path.stem).unlink()
        else:
            shutil.copy(path, folder / path.name)
    return folder


def app(page: str | None = None, timeout: float = 60):
    """An AppTest started from app.py (as a user arrives), switched to ``page`` when given."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
