"""Sign-in and roles in the pages: nothing before sign-in, each role its pages and controls, every change named."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from support import ROOT, shown

import ui
from rollout import access
from rollout.plan import load_plan
from rollout.stores.files import FileStore

AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "page-test-cookie-secret-0123456789abcdef",
    "client_id": "rollout",
    "client_secret": "page-test-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
PEOPLE = {
    "viewer": ("Vic Viewer", "vic@example.org"),
    "contributor": ("Raj Patel", "raj@example.org"),  # owns tasks in the demo
    "auditor": ("Audrey Auditor", "audrey@example.org"),
    "committee": ("Cy Committee", "cy@example.org"),
    "lead": ("Ann Lead", "ann@example.org"),
}
PAGES = [page for page, _, _ in ui.PAGES]
TITLES = {
    "app.py": "Rollout overview",
    "pages/1_Plan.py": "Plan",
    "pages/2_Progress.py": "Progress",
    "pages/3_Readiness.py": "Readiness",
    "pages/4_Timeline.py": "Timeline",
    "pages/5_Import.py": "Import",
    "pages/6_Steering_committee.py": "Steering committee",
    "pages/7_Assurance.py": "Assurance",
}
SIGN_IN = "ISO 20000 Rollout Tracker"


def claims(role: str, **more) -> dict:
    name, email = PEOPLE[role]
    return {"is_logged_in": True, "sub": email, "name": name, "email": email, "roles": [role], **more}


def signed_in(user: dict, page: str | None = None, auth: dict = AUTH, rollout: dict | None = None):
    """An AppTest with sign-in configured and ``user`` as st.user, started on the overview, then on ``page``."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = dict(auth)
    if rollout is not None:
        at.secrets["rollout"] = rollout
    at.user = user
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def title(at) -> str:
    return at.title[0].value


def denied(at) -> list[str]:
    return [w.value for w in at.warning if "is not available to your role" in w.value]


def history(folder):
    return FileStore(folder, load_plan(ROOT / "phases")).history()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", access.ROLES)
def test_a_role_opens_its_pages_and_lands_on_the_overview_from_the_others(demo_env, role, page):
    at = signed_in(claims(role), page)
    if page in access.pages_for({role}):
        assert title(at) == TITLES[page] and not denied(at)
    else:
        label = next(label for p, label, _ in ui.PAGES if p == page)
        assert title(at) == TITLES["app.py"]
        assert denied(at) == [
            f"{label} is not available to your role ({role}); the sidebar lists the pages you can open."
        ]


@pytest.mark.parametrize("role", access.ROLES)
def test_the_sidebar_lists_the_pages_of_the_role_and_who_is_signed_in(demo_env, role):
    at = signed_in(claims(role))
    links = [link.value for link in at.sidebar.page_link]
    assert links == [label for page, label, _ in ui.PAGES if page in access.pages_for({role})]
    name, email = PEOPLE[role]
    assert any(ui.plain(name) in m.value and ui.plain(email) in m.value for m in at.sidebar.markdown)
    assert f"Role: {role}" in [c.value for c in at.sidebar.caption]
    assert at.sidebar.button(key="sign_out").label == "Sign out"
    assert not at.sidebar.text_input  # no typed name once people sign in


@pytest.mark.parametrize("page", PAGES)
def test_before_sign_in_every_page_shows_only_the_sign_in(demo_env, page):
    for user in ({"is_logged_in": False}, {"email": "test@example.com"}):  # AppTest's own default user too
        at = signed_in(user, page)
        assert [t.value for t in at.title] == [SIGN_IN]
        assert [b.label for b in at.button] == ["Sign in"]
        assert not at.sidebar.markdown and not at.sidebar.page_link and not at.metric and not at.dataframe


def test_the_sign_in_button_starts_the_sign_in_and_sign_out_ends_it(demo_env):
    at = signed_in({"is_logged_in": False})
    with mock.patch("streamlit.login") as login:
        at.run()  # the button's callback bound to the stand-in
        at.button(key="sign_in").click().run()
    login.assert_called_once_with()
    at = signed_in(claims("lead"))
    at.sidebar.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == [SIGN_IN]


@pytest.mark.parametrize(
    "auth, rollout, says",
    [
        ({**AUTH, "cookie_secret": "x" * 31}, None, "has 31 characters; it needs at least 32"),
        ({k: v for k, v in AUTH.items() if k != "client_secret"}, None, "lacks client_secret"),
        (AUTH, {"role_map": {"sms-leads": "admin"}}, '"sms-leads" = "admin"'),
    ],
)
def test_a_configuration_that_cannot_be_used_shows_only_what_is_wrong(demo_env, auth, rollout, says):
    at = signed_in(claims("lead"), "pages/2_Progress.py", auth=auth, rollout=rollout)
    assert len(at.error) == 1 and at.error[0].value.startswith("Sign-in is not set up correctly.")
    assert says in at.error[0].value
    assert not at.title and not at.button and not at.sidebar.page_link


def test_roles_come_from_the_configured_claim_and_map(demo_env):
    rollout = {"role_claim": "groups", "role_map": {"sms-leads": "lead"}}
    at = signed_in(claims("viewer", groups=["sms-leads"]), "pages/5_Import.py", rollout=rollout)
    assert title(at) == "Import" and "Role: lead" in [c.value for c in at.sidebar.caption]


def test_session_keys_and_query_parameters_grant_no_role(demo_env):
    at = signed_in(claims("viewer"))
    for key in ("roles", "role", "user", "sidebar_user"):
        at.session_state[key] = ["lead"] if key == "roles" else "Ann Lead"
    at.query_params["role"] = "lead"
    at.query_params["roles"] = "lead"
    at.switch_page("pages/5_Import.py").run()
    assert title(at) == TITLES["app.py"] and denied(at)
    assert "Role: viewer" in [c.value for c in at.sidebar.caption]
    assert "Import" not in [link.value for link in at.sidebar.page_link]


def test_the_viewer_sees_no_editing_control(demo_env):
    for page in sorted(access.pages_for({"viewer"}) & set(PAGES)):
        at = signed_in(claims("viewer"), page)
        assert not at.data_editor, page
        assert not [b.label for b in at.button if b.label.startswith(("Save", "Verify", "Apply"))], page
        assert not at.text_input and not at.get("form")


@pytest.mark.parametrize("role, offered", [("viewer", False), ("committee", False), ("auditor", True)])
def test_the_plan_offers_verification_only_to_whom_may_verify(demo_env, role, offered):
    at = signed_in(claims(role), "pages/1_Plan.py")
    at.multiselect[0].set_value(["done"]).run()
    tasks = FileStore(demo_env, load_plan(ROOT / "phases")).load().progress.set_index("task_id")
    shown = at.dataframe[0].value
    row = next(i for i, t in enumerate(shown["task_id"]) if not tasks.loc[t, "verified_by"])
    at.session_state["plan_tasks"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert any(b.label == "Verify the evidence" for b in at.button) is offered


def test_an_auditor_verifies_on_the_progress_page_but_changes_nothing_there(demo_env):
    at = signed_in(claims("auditor"), "pages/2_Progress.py")
    labels = [b.label for b in at.button]
    assert "Verify the selected" in labels and not [label for label in labels if label.startswith("Save")]
    assert not at.get("form") and any("verifies evidence" in i.value for i in at.info)
    columns = json.loads(at.data_editor[0].proto.columns)
    assert [c for c, config in columns.items() if config.get("disabled") is not True] == ["select", "_index"]
    assert at.session_state["progress_base"]["frame"].shape[0] == 115  # every task, to verify any


def test_a_contributor_sees_and_changes_the_tasks_they_own(demo_env):
    at = signed_in(claims("contributor"), "pages/2_Progress.py")
    owned = FileStore(demo_env, load_plan(ROOT / "phases")).load().progress.query("owner == 'Raj Patel'")
    caption = next(c.value for c in at.caption if "tasks shown" in c.value)
    assert caption == f"{len(owned)} of 115 tasks shown." and len(owned) > 0
    task = owned["task_id"].iloc[0]
    at.session_state["progress_editor"] = {"edited_rows": {0: {"notes": "Checked with the team"}}, "added_rows": [],
                                           "deleted_rows": []}  # fmt: skip
    at.run()
    next(b for b in at.button if b.label == "Save 1 changed task").click().run()
    assert any(f"Saved 1 task: {task}" in shown(s.value) for s in at.success)
    assert history(demo_env).iloc[-1][["by", "task_id", "field"]].tolist() == [
        "Raj Patel <raj@example.org>", task, "notes"]  # fmt: skip


def test_a_save_records_the_signed_in_name_and_email_never_a_typed_name(demo_env):
    at = signed_in(claims("lead"), "pages/2_Progress.py")
    at.session_state["user"] = "Somebody Typed"
    at.session_state["progress_editor"] = {"edited_rows": {0: {"notes": "Reviewed"}}, "added_rows": [],
                                           "deleted_rows": []}  # fmt: skip
    at.run()
    next(b for b in at.button if b.label == "Save 1 changed task").click().run()
    assert history(demo_env).iloc[-1]["by"] == "Ann Lead <ann@example.org>"


def test_the_role_is_read_again_at_the_write(demo_env):
    """Claims that change from lead to auditor between drawing the page and saving: refused, nothing written."""
    at = signed_in(claims("lead"), "pages/2_Progress.py")
    version = FileStore(demo_env, load_plan(ROOT / "phases")).version()
    at.session_state["progress_editor"] = {"edited_rows": {0: {"notes": "Reviewed"}}, "added_rows": [],
                                           "deleted_rows": []}  # fmt: skip
    at.run()
    at.user = claims("auditor")
    next(b for b in at.button if b.label == "Save 1 changed task").click().run()
    assert any("your role does not allow" in e.value for e in at.error)
    assert FileStore(demo_env, load_plan(ROOT / "phases")).version() == version


@pytest.mark.parametrize("role", ["viewer", "auditor", "committee"])
def test_the_assurance_page_offers_the_registers_to_whom_may_write_them(demo_env, role):
    at = signed_in(claims(role), "pages/7_Assurance.py")
    tabs = [t.label for t in at.tabs]
    assert ("Record an assessment" in tabs) is (role == "auditor")
    at.session_state["assurance_view"] = tabs[1]  # the findings register
    at.run()
    assert bool(at.data_editor) is (role == "auditor") and bool(at.dataframe)
    assert any(b.label.startswith("Save") for b in at.button) is (role == "auditor")


@pytest.mark.parametrize("role, offered", [("viewer", False), ("auditor", False), ("committee", True)])
def test_the_committee_page_offers_a_gate_decision_to_the_committee(demo_env, role, offered):
    at = signed_in(claims(role), "pages/6_Steering_committee.py")
    assert any(e.label == "Record a gate decision" for e in at.expander) is offered
