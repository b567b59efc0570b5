"""The Assurance page's forms: a finding or an assessment recorded, a refused one keeping what was typed."""

from __future__ import annotations

from support import app

from rollout.stores.files import FileStore

PAGE = "pages/7_Assurance.py"


def opened(tab: str):
    at = app(PAGE)
    at.session_state["assurance_view"] = tab  # the user opens the tab
    at.run()
    return at


def test_a_refused_finding_keeps_what_was_typed_and_a_recorded_one_empties_the_form(demo_env, bundled_plan):
    store = FileStore(demo_env, bundled_plan)
    before = len(store.records("findings"))
    at = opened(next(t.label for t in app(PAGE).tabs if t.label.startswith("Findings")))
    at.text_input(key="finding.0.owner").input("Owen Price")
    at.get("form_submit_button")[0].click().run()  # no clause, nothing found: refused
    assert at.error and len(store.records("findings")) == before
    assert at.text_input(key="finding.0.owner").value == "Owen Price", "a refusal keeps what was typed"
    at.multiselect(key="finding.0.clauses").select("8.3.3")
    at.text_area(key="finding.0.description").input("Supplier reviews are not minuted")
    at.get("form_submit_button")[0].click().run()
    assert len(store.records("findings")) == before + 1, [e.value for e in at.error]
    # the tab stays open although its label counts one more, and the form is emptied
    # new fields: with their keys unchanged, the browser kept showing what was typed
    assert at.text_input(key="finding.1.owner").value == "" and "finding.0.owner" not in at.session_state


def test_an_assessment_is_recorded_from_its_tab(demo_env, bundled_plan):
    store = FileStore(demo_env, bundled_plan)
    before = len(store.records("assessments"))
    at = opened("Record an assessment")
    at.selectbox(key="assessment.0.clause").set_value("8.3.3")
    at.selectbox(key="assessment.0.result").set_value("conforming")
    at.text_input(key="assessment.0.evidence").input("DMS-0042")
    at.get("form_submit_button")[0].click().run()
    saved = store.records("assessments")
    assert len(saved) == before + 1 and saved.iloc[-1]["evidence"] == "DMS-0042"
    assert at.success and at.text_input(key="assessment.1.evidence").value == ""


def test_the_clause_table_is_drawn_when_asked_for(demo_env, bundled_plan):
    at = app(PAGE)
    assert [c.key for c in at.get("plotly_chart")] == ["assurance_grid_None"] and not at.dataframe
    at.session_state["assurance_clauses"] = True  # the user opens "Each clause: why ..."
    at.run()
    (table,) = at.dataframe
    assert len(table.value) == len(bundled_plan.leaves(bundled_plan.edition))
