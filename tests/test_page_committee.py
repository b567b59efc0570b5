"""The Steering committee page: the pack's sections on screen, the since date, and the pack to download."""

from __future__ import annotations

import datetime as dt

from support import app, tables

from rollout import committee, readiness, report
from rollout.stores.files import FileStore

PAGE = "pages/6_Steering_committee.py"
SECTIONS = ["Where the rollout stands", "Decisions needed", "Stage gates", "What changed since 29 October 2026",
            "Top risks"]  # fmt: skip


def build(at, fmt: str):
    at.session_state["committee_packing"] = True  # the pack's popover, opened
    at.run()
    at.segmented_control(key="committee_format").set_value(fmt).run()
    next(b for b in at.button if b.label == "Build the pack").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.get("download_button")


def test_the_page_shows_every_section_of_the_pack(demo_env, bundled_plan):
    at = app(PAGE)
    assert [s.value.split(" (")[0] for s in at.subheader] == SECTIONS
    metrics = {m.label: m.value for m in at.metric}
    status = FileStore  # the figures the CLI prints for the same folder
    from rollout import overview

    figures = overview.load(bundled_plan, status(demo_env, bundled_plan), dt.date(2026, 11, 28)).status
    assert metrics["Implementation progress"] == f"{int(figures['overall'] * 100)} %"
    assert metrics["Clauses implemented"] == f"{figures['implemented']['implemented']} of 57"
    assert metrics["Conformant clauses"] == f"{figures['conformity']['conformant']} of 57"
    assert metrics["Stage gates met"] == "2 of 5"
    store = FileStore(demo_env, bundled_plan)
    table = readiness.task_table(bundled_plan, store.load().progress)
    today = dt.date(2026, 11, 28)
    changes = committee.changes_since(bundled_plan, table, store.history(), committee.default_since(today), today)
    assert metrics["Blocked tasks"] == "3" and metrics["Overdue tasks"] == str(
        len(readiness.overdue_tasks(table, today))
    )
    gates = tables(at)[1]
    assert gates["Stage"].tolist() == [s.name for s in bundled_plan.stages]
    assert gates["Gate"].str.contains("-badge[", regex=False).all() and gates["Work done"].iloc[0] == "100 %"
    assert [t.label for t in at.tabs][:3] == [
        f"Completed ({len(changes.completed)})",
        f"Started ({len(changes.started)})",
        f"Slipped ({len(changes.slipped)})",
    ]
    assert [c.key for c in at.get("plotly_chart")] == ["committee_burnup"]
    for view in ("clauses", "radar", "status"):
        at.segmented_control(key="committee_view").set_value(view).run()
        assert [c.key for c in at.get("plotly_chart")] == [f"committee_{view}"]
    decisions = tables(at)[0]
    assert decisions.columns.tolist() == ["Decision", "About", "Why", "Owner"] and len(decisions) >= 3
    assert any(s.label == "Steering committee" for s in at.sidebar.get("page_link"))
    assert not at.get("download_button"), "the pack is built on request"


def test_the_since_date_moves_what_changed(demo_env, bundled_plan):
    at = app(PAGE)
    at.date_input(key="committee_since").set_value(dt.date(2026, 11, 21)).run()
    assert not at.exception
    assert "What changed since 21 November 2026" in [s.value for s in at.subheader]
    store = FileStore(demo_env, bundled_plan)
    table = readiness.task_table(bundled_plan, store.load().progress)
    changes = committee.changes_since(
        bundled_plan, table, store.history(), dt.date(2026, 11, 21), dt.date(2026, 11, 28)
    )
    assert at.tabs[0].label == f"Completed ({len(changes.completed)})"


def test_a_tab_is_filled_when_opened_and_a_long_list_in_full_on_request(demo_env, bundled_plan):
    at = app(PAGE)
    assert len(tables(at)) == 4 and not at.dataframe, "decisions, gates and the open tab of each set, light tables"
    assert not any("chain of unfinished tasks" in c.value for c in at.caption)
    at.session_state["committee_risks"] = next(t.label for t in at.tabs if t.label.startswith("Critical path"))
    at.run()
    assert any("chain of unfinished tasks" in c.value for c in at.caption)
    table = readiness.task_table(bundled_plan, FileStore(demo_env, bundled_plan).load().progress)
    path = readiness.critical_path(bundled_plan, table)
    assert len(path) > report.LIST_LIMIT
    assert tables(at)[-1]["Task"].tolist() == path["task_id"].head(report.LIST_LIMIT).tolist()
    assert tables(at)[-1].columns.tolist() == ["Task", "Title", "Owner", "Due", "Status", "Remaining (days)"]
    assert not at.dataframe and any(e.label == f"All {len(path)}" for e in at.expander)
    at.session_state["committee_path"] = True
    at.run()
    assert at.dataframe[-1].value["task_id"].tolist() == path["task_id"].tolist()


def test_the_html_pack_is_built_with_progress_and_offered_for_download(demo_env):
    at = app(PAGE)
    buttons = build(at, "html")
    assert [b.proto.label for b in buttons] == ["Download steering-committee-pack-2026-11-28.html"]
    status = at.get("status")[0]
    assert status.proto.label == "The pack is ready to download" and status.markdown[0].value == "Drawing the charts"
    at.date_input(key="committee_since").set_value(dt.date(2026, 11, 1)).run()
    assert not at.get("download_button"), "a pack of another meeting is not offered"


def test_without_chromium_the_page_explains_and_the_html_still_works(demo_env, monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    at = app(PAGE)
    assert not build(at, "pdf")
    assert any("drawn by Chromium, and none was found" in e.value for e in at.error)
    assert build(at, "html")


def test_notes_and_owners_show_as_typed(demo_env, bundled_plan):
    at = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    changes = {"P2.15": {"notes": "*Waiting* for :red[vendor] <b>x</b>", "owner": "R&D_lead"}}  # blocked
    FileStore(demo_env, bundled_plan).save(changes, None, by="Tester", source="ui", at=at)
    page = app(PAGE)
    decisions = next(m.value for m in page.markdown if m.value.startswith("| Decision"))
    assert r"\*Waiting\* for \:red\[vendor\] \<b\>x\<\/b\>" in decisions  # Markdown shows the text as typed
    row = tables(page)[0].set_index("Owner").loc["R&D_lead"]
    assert row["Why"] == "*Waiting* for :red[vendor] <b>x</b>"
    assert row["About"].startswith("P2.15 Set service budgets and report costs against them")


def test_only_web_addresses_are_drawn_as_links(demo_env, bundled_plan):
    store = FileStore(demo_env, bundled_plan)
    table = readiness.task_table(bundled_plan, store.load().progress)
    today = dt.date(2026, 11, 28)
    changes = committee.changes_since(bundled_plan, table, store.history(), committee.default_since(today), today)
    first, second = changes.completed["task_id"].head(2)
    evidence = {first: {"evidence": "DMS-0042"}, second: {"evidence": "https://dms.example/sms/policy.pdf"}}
    store.save(evidence, None, by="Tester", source="ui", at=dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC))
    page = app(PAGE)
    completed = next(m.value for m in page.markdown if m.value.startswith("| Task"))
    assert "[https\\:\\/\\/dms\\.example\\/sms\\/policy\\.pdf](<https://dms.example/sms/policy.pdf>)" in completed
    assert "| DMS\\-0042 |" in completed and "](<DMS" not in completed


def test_a_list_wider_than_a_phone_scrolls_in_its_own_row(demo_env):
    """At 390 px the tables of the page pushed the whole page sideways: each sits in a row that scrolls instead."""
    from streamlit.testing.v1.element_tree import Block

    def rows_of_tables(node):
        for child in getattr(node, "children", {}).values():
            if isinstance(child, Block):
                held = [c for c in child.children.values() if getattr(c, "type", "") == "markdown"]
                if any(m.value.startswith("| ") for m in held):
                    yield child.proto.flex_container
                yield from rows_of_tables(child)

    rows = list(rows_of_tables(app(PAGE).main))
    assert len(rows) == 4 and all(r.direction == r.HORIZONTAL and not r.wrap for r in rows)


def test_a_gate_decision_is_recorded_from_the_page_and_a_refused_one_keeps_what_was_typed(demo_env, bundled_plan):
    at = app(PAGE)
    assert not at.get("form"), "the decision's fields are drawn only while the expander is open"
    at.session_state["committee_decide"] = True  # the user opens "Record a gate decision"
    at.run()
    store = FileStore(demo_env, bundled_plan)
    before = len(store.records("decisions"))
    at.selectbox(key="decision.0.stage").set_value(2)
    at.selectbox(key="decision.0.decision").set_value("go")
    at.text_input(key="decision.0.deciders").input("Helen Marsh, Tom Okafor")
    at.get("form_submit_button")[0].click().run()
    assert len(store.records("decisions")) == before
    assert [e.value for e in at.error] == ["Nothing was saved: 1 value cannot be used."]
    assert "met" in at.dataframe[-1].value["Problem"].iloc[0]
    assert at.selectbox(key="decision.0.stage").value == 2, "a refusal keeps what was typed"
    at.selectbox(key="decision.0.decision").set_value("no_go")
    at.text_area(key="decision.0.conditions").input("Re-plan phase 2 with the service owners")
    at.text_input(key="decision.0.minutes").input("SC-2026-11")
    at.get("form_submit_button")[0].click().run()
    after = store.records("decisions")
    assert len(after) == before + 1, [e.value for e in at.error]
    new = after.iloc[-1]
    assert (new["stage"], new["decision"], new["minutes"], new["by"]) == (
        2,
        "no_go",
        "SC-2026-11",
        "Helen Marsh, Tom Okafor",
    )
    assert at.success and at.text_input(key="decision.1.minutes").value == "", "a saved decision empties the form"


def test_started_tasks_show_their_percent_as_the_grids_do(demo_env, bundled_plan):
    store = FileStore(demo_env, bundled_plan)
    table = readiness.task_table(bundled_plan, store.load().progress)
    today = dt.date(2026, 11, 28)
    started = committee.changes_since(
        bundled_plan, table, store.history(), committee.default_since(today), today
    ).started
    at = app(PAGE)
    at.session_state["committee_changes"] = next(t.label for t in at.tabs if t.label.startswith("Started"))
    at.run()
    shown = next(t for t in tables(at) if "%" in t.columns).set_index("Task")["%"]
    first = started.iloc[0]
    assert shown[first["task_id"]] == f"{int(first['percent'])}\u00a0%"  # kept on one line in a narrow column
