"""Pages over a damaged or missing data folder: a clear error and the repair as a button, never a traceback."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest
from support import DEMO_TODAY, ROOT, shown

from rollout.plan import load_plan
from rollout.stores.files import FileStore

PAGES = ["app.py", *(f"pages/{p.name}" for p in sorted((ROOT / "pages").glob("*.py")))]


def visit(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    if page != "app.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def store_of(folder) -> FileStore:
    return FileStore(folder, list(load_plan(ROOT / "phases").tasks))


def cut_history(folder) -> None:
    """The last save's rows gone: seen at the history's end, by every load."""
    path = folder / "history.csv"
    data = path.read_bytes()
    last = re.findall(rb'\n"(\d+)","', data)[-1]
    path.write_bytes(data[: data.index(b'\n"' + last + b'","') + 1])


def spoil_history_inside(folder) -> None:
    """A seq in the middle made unreadable, the file's length and ends unchanged: seen by a full read."""
    path = folder / "history.csv"
    data = path.read_bytes()
    middle = data.index(b'\n"', len(data) // 2) + 1
    path.write_bytes(data[:middle] + b'"x' + data[middle + 2 :])


@pytest.mark.parametrize("damage", [cut_history, spoil_history_inside])
def test_a_damaged_history_is_an_error_on_every_page_never_a_traceback(demo_env, damage):
    damage(demo_env)
    said = {page: [e for e in errors(visit(page)) if "history.csv" in e] for page in PAGES}
    reads_history = [p for p, about_history in said.items() if about_history]
    assert {"app.py", "pages/3_Readiness.py", "pages/4_Timeline.py", "pages/6_Steering_committee.py"} <= set(
        reads_history
    )
    if damage is cut_history:
        assert reads_history == PAGES, "a damage seen at the history's end stops every page"


def test_the_page_restores_the_backup_a_damaged_history_names(demo_env):
    whole = store_of(demo_env).history()
    cut_history(demo_env)
    at = visit("app.py")
    (button,) = [b for b in at.button if b.label.startswith("Restore history-")]
    button.click().run()
    assert not at.exception and not at.error
    assert len(store_of(demo_env).history()) == len(whole)


def test_the_page_restores_a_damaged_progress_file_from_its_newest_backup(demo_env):
    newest = store_of(demo_env).backups()[-1]
    (demo_env / "progress.csv").write_bytes(b"\x00garbage")
    at = visit("pages/2_Progress.py")
    assert any("progress.csv: " in e for e in errors(at)), errors(at)
    next(b for b in at.button if b.label == f"Restore {newest}").click().run()
    assert not at.exception and not at.error
    assert store_of(demo_env).history().iloc[-1]["source"] == f"restore:{newest}"


def test_a_data_folder_that_does_not_exist_is_an_error_not_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "dta"))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    at = visit("app.py")
    assert any("dta: no such data folder; create it first or check the spelling" in e for e in errors(at))
    assert not (tmp_path / "dta").exists()
