"""Paths and builders shared by the tests (importable as ``support``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PLANS = Path(__file__).resolve().parent / "plans"
DEMO_TODAY = "2026-11-28"
SCENARIO = PLANS / "readiness"


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


def write_scenario(folder: Path):
    """The small plan of tests/plans/readiness and a data folder holding the saves of its saves.yaml."""
    import datetime as dt

    import yaml

    from rollout.plan import load_plan
    from rollout.stores.files import FileStore

    plan = load_plan(SCENARIO / "small")
    store = FileStore(folder, plan)
    for save in yaml.safe_load((SCENARIO / "saves.yaml").read_text()):
        at = dt.datetime.fromisoformat(save["at"])
        if "verify" in save:
            store.verify(save["verify"], by=save["by"], at=at)
        else:
            store.save(save["changes"], None, by="Tester", source="ui", at=at)
    return plan, store


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr), argparse's own exits included."""
    from rollout.cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def shown(markdown: str) -> str:
    """Markdown as a reader sees it: the punctuation ui.plain escapes, unescaped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def tables(at) -> list:
    """The Markdown tables a page drew (ui.show_table), as frames of the text a reader sees."""
    found = []
    for block in (m.value for m in at.markdown if m.value.startswith("| ")):
        rows = [[shown(c).strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
                for line in block.splitlines()]  # fmt: skip
        found.append(pd.DataFrame(rows[2:], columns=rows[0]))
    return found
