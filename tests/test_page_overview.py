"""The overview: headline figures equal the CLI's, the first start welcomes, the demo never touches the user's demo_env."""

from __future__ import annotations

import datetime as dt
import json

from support import DEMO_TODAY, app, tables

import ui
from rollout.cli import main


def cli_json(capsys, *args):
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_figures_match_the_command_line_and_name_both_questions(demo_env, capsys):
    at = app()
    status, forecast = cli_json(capsys, "status"), cli_json(capsys, "forecast")
    shown = metrics(at)
    assert shown["Implementation progress"] == f"{int(status['overall'] * 100)} %"
    implemented = status["implemented"]
    assert shown["Clauses implemented"] == f"{implemented['implemented']} of {implemented['clauses']}" == "20 of 57"
    assert shown["Tasks done"] == f"{status['done']} of {status['tasks'] - status['not_applicable']}"
    assert shown["Likely finish"] == f"{dt.date.fromisoformat(forecast['likely']):%d %b %Y}"
    gates = [c.value.split("  \n") for c in at.caption if " of its work done · " in c.value]
    assert [g[0] for g in gates] == [
        f"{int(p['readiness'] * 100)} % of its work done · {p['done']} of {p['tasks']} tasks" for p in status["phases"]
    ]
    for lines, phase in zip(gates, status["phases"], strict=True):
        missing = phase["gate_missing"]
        assert not missing or lines[1].startswith(f"Kept shut by {len(missing)} mandatory tasks: ")
    badges = [m.value.split("  \n")[1] for m in at.markdown if "-badge[" in m.value]
    assert badges == [ui.badge(p["gate"]) for p in status["phases"]]
    assert gates_rule_shown(at)


def test_a_gate_is_explained_in_the_committee_pages_words(demo_env):
    """A done task without verified evidence reads as such, never as an open task, on both pages."""
    overview = [c.value.split("  \n")[1] for c in app().caption if " of its work done · " in c.value]
    committee = tables(app("pages/6_Steering_committee.py"))[1]["Why"].tolist()
    assert overview == committee
    assert overview[2].startswith("Kept shut by 30 mandatory tasks: 2 done, not verified (P2.02, P2.11); 28 not done")


def gates_rule_shown(at) -> bool:
    from rollout.gates import RULE

    return any(c.value == RULE for c in at.caption)


def test_overdue_and_blocked_counts_lead_to_their_lists(demo_env):
    at = app()
    shown = metrics(at)
    assert int(shown["Overdue"]) >= 2 and int(shown["Blocked"]) == 3
    links = {link.proto.label: (link.proto.page, link.proto.query_string) for link in at.get("page_link")}
    assert links["Overdue tasks"] == ("Progress", "show=Overdue")
    assert links["Blocked tasks"] == ("Progress", "show=Blocked")
    assert links["By clause"][0] == links["By stage"][0] == "Readiness" and links["Burn-up"][0] == "Timeline"
    attention, owners = tables(at)
    assert owners["Overdue"].astype(int).sum() == int(shown["Overdue"]) and owners.columns[0] == "Owner"
    assert len(attention) >= int(shown["Overdue"]) and attention["Why"].str.contains("overdue").sum() == int(
        shown["Overdue"]
    )


def test_the_overdue_link_opens_the_progress_page_filtered(demo_env):
    at = app()
    at.query_params["show"] = "Overdue"  # the link's query string: the filter's label, as bound widgets read it
    at.switch_page("pages/2_Progress.py").run()
    caption = next(c.value for c in at.caption if "tasks shown" in c.value)
    assert caption == f"{metrics(app())['Overdue']} of 115 tasks shown."


def test_the_first_start_welcomes_with_three_ways_in(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("ROLLOUT_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    at = app()
    labels = [b.label for b in at.button]
    assert {"Start tracking on this plan", "Import a spreadsheet", "Explore a demo rollout"} <= set(labels)
    assert metrics(at)["Tasks done"] == "0 of 115"
    welcome = next(m.value for m in at.markdown if "This tracker follows" in m.value)
    assert "ISO/IEC 20000-1:2018 with Amendment 1:2024" in welcome and "ISO/IEC TS 20000-5:2022" in welcome


def test_the_demo_is_written_to_its_own_folder_and_the_users_stays_empty(tmp_path, monkeypatch):
    user_data = tmp_path / "mine"
    user_data.mkdir()
    monkeypatch.setenv("ROLLOUT_DATA", str(user_data))
    monkeypatch.setenv("ROLLOUT_TODAY", "2026-10-31")
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    at = app()
    next(b for b in at.button if b.label == "Explore a demo rollout").click().run()
    assert not at.exception
    assert at.session_state["demo_dir"].startswith(str(tmp_path / "tmp"))
    assert metrics(at)["Tasks done"] != "0 of 115"
    assert not (user_data / "progress.csv").exists()
    next(b for b in at.sidebar.button if b.label == "Leave the demo").click().run()
    assert "demo_dir" not in at.session_state and metrics(at)["Tasks done"] == "0 of 115"


def test_the_sidebar_offers_the_demo_whatever_the_data(tmp_path, monkeypatch, demo_data):
    """Started on an empty folder, with data of one's own, or after the welcome was left: the demo stays one click away."""
    monkeypatch.setenv("ROLLOUT_TODAY", DEMO_TODAY)
    for folder in (tmp_path / "empty", demo_data):
        monkeypatch.setenv("ROLLOUT_DATA", str(folder))
        at = app()
        at.session_state["welcomed"] = True  # "Start tracking on this plan" was chosen: no welcome any more
        at.run()
        assert [b.label for b in at.sidebar.button] == ["Explore a demo rollout"], folder
