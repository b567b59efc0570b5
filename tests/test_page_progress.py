"""The Progress page: edits in the demo_env editor or the form land in the store; conflicts overwrite nothing."""

from __future__ import annotations

from support import app, shown

import ui
from rollout.plan import load_plan
from rollout.stores.files import FileStore

PAGE = "pages/2_Progress.py"


def store_of(folder) -> FileStore:
    return FileStore(folder, load_plan("phases"))


def row(folder, task_id):
    return store_of(folder).load().progress.set_index("task_id").loc[task_id]


def edit(at, edits: dict) -> None:
    at.session_state["progress_editor"] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.run()


def position(at, task_id: str) -> int:
    return list(at.session_state["progress_base"]["frame"]["task_id"]).index(task_id)


def save_button(at):
    return next(b for b in at.button if b.label.startswith("Save") and "task" in b.label)


def test_the_page_shows_every_task_in_the_editor(demo_env):
    at = app(PAGE)
    assert "115 of 115 tasks shown." in [c.value for c in at.caption]
    assert at.session_state["progress_base"]["frame"].shape[0] == 115


def test_an_edit_in_the_data_editor_lands_in_the_store(demo_env):
    at = app(PAGE)
    i = position(at, "P3.01")
    edit(at, {i: {"status": "in_progress", "percent": 30, "owner": "Kim", "due": "2027-01-15"}})
    assert save_button(at).label == "Save 1 changed task"
    save_button(at).click().run()
    assert not at.exception
    saved = row(demo_env, "P3.01")
    assert (saved["status"], saved["percent"], saved["owner"], str(saved["due"].date())) == (
        "in_progress", 30, "Kim", "2027-01-15")  # fmt: skip
    assert saved["updated_by"] == "Page Tester"
    assert any("Saved 1 task: P3.01" in shown(s.value) for s in at.success)
    history = store_of(demo_env).history("P3.01")
    assert set(history["source"]) == {"ui"} and "owner" in set(history["field"])


def test_a_refused_value_is_explained_and_nothing_is_saved(demo_env):
    at = app(PAGE)
    version = store_of(demo_env).version()
    edit(at, {position(at, "P0.01"): {"status": "in_progress"}})
    save_button(at).click().run()
    assert any("cannot be used" in e.value for e in at.error)
    assert store_of(demo_env).version() == version


def test_a_conflict_shows_both_values_and_overwrites_nothing(demo_env):
    at = app(PAGE)
    edit(at, {position(at, "P3.02"): {"owner": "Mine"}})
    store_of(demo_env).save({"P3.02": {"owner": "Theirs"}}, None, by="Other Lead", source="cli")
    at.run()
    save_button(at).click().run()
    assert any("someone else changed these tasks" in e.value for e in at.error)
    conflict = next(d.value for d in at.dataframe if "Saved by them" in d.value.columns)
    assert conflict.iloc[0][["Task", "Field", "Saved by them", "Yours", "Changed by"]].tolist() == [
        "P3.02", "Owner", "Theirs", "Mine", "Other Lead"]  # fmt: skip
    assert row(demo_env, "P3.02")["owner"] == "Theirs"
    next(b for b in at.button if b.label == "Save mine over theirs").click().run()
    assert row(demo_env, "P3.02")["owner"] == "Mine"


def test_my_tasks_shows_the_tasks_of_the_person_editing(demo_env):
    at = app(PAGE)
    at.sidebar.text_input[0].set_value("Raj Patel").run()
    at.toggle(key="progress_mine").set_value(True).run()
    caption = next(c.value for c in at.caption if "tasks shown" in c.value)
    owned = (store_of(demo_env).load().progress["owner"] == "Raj Patel").sum()
    assert caption == f"{owned} of 115 tasks shown." and owned > 0


def test_the_name_is_remembered_across_pages(demo_env):
    at = app(PAGE)
    at.sidebar.text_input[0].set_value("Ada").run()
    at.switch_page("pages/1_Plan.py").run()
    assert at.sidebar.text_input[0].value == "Ada" and at.session_state["user"] == "Ada"


def test_one_task_can_be_saved_through_the_form_which_stays_open_for_the_next(demo_env):
    at = app(PAGE)
    at.session_state["progress_one_task"] = True  # the expander, opened
    at.run()
    form_status = next(s for s in at.selectbox if s.label == "Status" and s.key is None)
    form_status.set_value("done")
    next(t for t in at.text_input if t.label == "Evidence (a link or reference)").set_value("https://example.org/p001")
    next(b for b in at.button if b.label == "Save this task").click().run()
    saved = row(demo_env, "P0.01")
    assert saved["evidence"] == "https://example.org/p001"
    assert [e.proto.expanded for e in at.expander if e.label == "Update one task"] == [True]
    assert any(b.label == "Save this task" for b in at.button)


def test_the_table_shows_statuses_in_words_and_empty_dates_empty(demo_env):
    at = app(PAGE)
    grid = at.dataframe[0]
    assert set(grid.value["status"]) <= {"Not started", "In progress", "Blocked", "Done", "Not applicable"}
    assert grid.proto.HasField("placeholder") and grid.proto.placeholder == ""  # not "None"


def test_a_status_set_alone_shows_the_percent_it_will_be_saved_with(demo_env):
    at = app(PAGE)
    started, fresh = position(at, "P2.13"), position(at, "P3.01")
    edit(at, {started: {"status": "Done"}, fresh: {"percent": 40}})
    shown = at.dataframe[0].value.set_index("task_id")
    assert shown.loc["P2.13", "percent"] == 100 and shown.loc["P3.01", "status"] == "In progress"
    save_button(at).click().run()
    assert (row(demo_env, "P2.13")["percent"], row(demo_env, "P3.01")["status"]) == (100, "in_progress")


def test_the_stage_filter_reads_all_stages_while_edits_wait(demo_env):
    at = app(PAGE)
    edit(at, {position(at, "P3.02"): {"owner": "Mine"}})
    stage = at.selectbox(key="progress_stage")
    assert stage.disabled and stage.value == "All stages" and stage.index == 0
    save_button(at).click().run()
    assert at.selectbox(key="progress_stage").value == "All stages"


def test_asking_for_a_name_stops_once_the_name_is_typed(demo_env, monkeypatch):
    monkeypatch.delenv("ROLLOUT_USER")
    monkeypatch.setattr("rollout.config.getpass.getuser", lambda: "root")  # a login name the app does not take
    at = app(PAGE)
    edit(at, {position(at, "P3.02"): {"owner": "Mine"}})
    save_button(at).click().run()
    assert [shown(e.value) for e in at.error] == [ui.NAME_NEEDED]
    at.sidebar.text_input[0].set_value("Ada").run()
    assert not at.error and save_button(at).label == "Save 1 changed task"


def test_the_one_task_form_pairs_its_fields_in_reading_order(demo_env):
    """On a phone the columns stack: status must come before percent, start before due."""
    at = app(PAGE)
    at.session_state["progress_one_task"] = True
    at.run()
    order = _reading_order(at)
    form = order[order.index("Task") :]
    fields = ["Status", "Percent", "Owner", "Evidence (a link or reference)", "Start", "Due"]
    assert [label for label in form if label in fields] == fields


def _reading_order(at) -> list[str]:
    """The labels of the page's widgets in the order the page lays them out (a phone stacks them so)."""
    found = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            if hasattr(child, "label") and not hasattr(child, "children"):
                found.append(child.label)
            walk(child)

    walk(at.main)
    return found
