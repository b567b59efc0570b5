"""Assurance: how each clause was assessed, the findings register, internal audit coverage, and whether the
rollout is ready for the stage 2 audit."""

import streamlit as st

import ui
from rollout import access, assurance, charts, registers
from rollout.plan import EDITION_NAMES
from rollout.records import (
    ASSESSMENT_SOURCES,
    FINDING_SOURCES,
    FINDING_STATUSES,
    GRADES,
    OPEN,
    RESULTS,
    WORDS,
)
from rollout.words import counted, sentence

ui.page_setup("Assurance")
plan, today = ui.plan(), ui.today()
figures = ui.figures()
records, conformity = figures.snapshot.records, figures.conformity
counts = conformity.as_json()
ss = st.session_state

st.title("Assurance")
st.caption(
    f"What an auditor asks besides the tasks: which clauses of {EDITION_NAMES[plan.edition]} were assessed and "
    "found conforming, which findings are open, and whether every clause had an internal audit. "
    f"{assurance.CONFORMANT_HELP}"
)
coverage = assurance.audit_coverage(plan, records["assessments"], today)
with st.container(horizontal=True):
    st.metric(assurance.CONFORMANT, f"{counts['conformant']} of {counts['clauses']}", help=assurance.CONFORMANT_HELP,
              border=True, width="content")  # fmt: skip
    st.metric("Open major findings", counts["open_major"], border=True, width="content")
    st.metric("Clauses not assessed", counts["not_assessed"], border=True, width="content")
    st.metric(
        "Internally audited", f"{int(coverage['covered'].sum())} of {len(coverage)}", border=True, width="content",
        help=f"Clauses an internal audit assessed (itself or a clause above it) in the last {assurance.AUDIT_MONTHS} months.",
    )  # fmt: skip
    st.metric(assurance.STAGE2, "Yes" if conformity.ready else "Not yet", help=assurance.STAGE2_RULE, border=True,
              width="content")  # fmt: skip
if conformity.ready:
    st.success(assurance.STAGE2_RULE)
else:
    st.markdown(
        f"**{assurance.STAGE2}: not yet.**\n" + "\n".join(f"- {ui.plain(sentence(r))}" for r in conformity.reasons)
    )

outcome = ss.pop("assurance_outcome", None)
if outcome is not None:
    ui.show_outcome(outcome)

may_assess, may_find = ui.may(access.ASSESSMENTS), ui.may(access.FINDINGS)
findings_view = f"Findings ({int(records['findings']['status'].isin(OPEN).sum())} open)"
if str(ss.get("assurance_view", "")).startswith("Findings ("):  # a save changed the count: stay on the tab
    ss["assurance_view"] = findings_view
views = ["Conformity by clause", findings_view, "Internal audit coverage",
         *(["Record an assessment"] if may_assess else [])]  # fmt: skip
grid_tab, findings_tab, audit_tab, *assess_tab = st.tabs(views, key="assurance_view", on_change="rerun")

if grid_tab.open:
    with grid_tab:
        # "all" rather than None: a segmented control shows no option chosen when its default is None
        level = st.segmented_control(
            "Level", ["all", 1], format_func={"all": "All clauses", 1: "Second level"}.get, default="all",
            required=True, key="assurance_depth",
        )  # fmt: skip
        depth = None if level == "all" else level
        grid = assurance.source_grid(plan, records["assessments"])
        ui.chart(charts.build_conformity_figure(grid, depth), key=f"assurance_grid_{depth}")
        why = st.expander("Each clause: why it is conformant or not", key="assurance_clauses", on_change="rerun")
        if why.open:  # a grid drawn only on request: the heatmap above answers first
            with why:
                yes_no = {True: "Yes", False: "No"}
                leaves = conformity.leaves.assign(
                    conformity=lambda f: f["conformity"].map(WORDS),
                    **{c: conformity.leaves[c].map(yes_no) for c in ("implemented", "current", "conformant")},
                )
                ui.grid(
                    leaves,
                    column_config={
                        "id": st.column_config.TextColumn("Clause", pinned=True), "title": st.column_config.TextColumn("Title", width="medium"),
                        "implemented": "Implemented", "conformity": "Conformity",
                        "assessed_on": st.column_config.DateColumn("Assessed", format="YYYY-MM-DD"),
                        "current": st.column_config.TextColumn("After its tasks last changed", help="Assessed on or after the day its tasks last changed status"),
                        "open_findings": st.column_config.NumberColumn("Open findings", help="Major or minor findings on it, open"),
                        "audited_on": st.column_config.DateColumn("Internal audit", format="YYYY-MM-DD"),
                        "conformant": "Conformant",
                    },
                )  # fmt: skip

if findings_tab.open:
    with findings_tab:
        findings = records["findings"]
        with st.container(horizontal=True, vertical_alignment="bottom"):
            shown_status = st.multiselect(
                "Status", FINDING_STATUSES, default=list(OPEN), format_func=WORDS.get, key="findings_status"
            )
            shown_grade = st.multiselect(
                "Grade", GRADES, format_func=WORDS.get, key="findings_grade", placeholder="All grades"
            )
        view = findings[findings["status"].isin(shown_status or FINDING_STATUSES)]
        if shown_grade:
            view = view[view["grade"].isin(shown_grade)]
        editable = ["grade", "description", "cause", "action", "owner", "due", "status"]
        base = view[["id", "clauses", *editable, "closed_on", "verified_by", "verified_on"]].reset_index(drop=True)
        # grades and statuses as the words people read (and screen readers say); the store reads words back
        worded = base.assign(grade=base["grade"].map(WORDS), status=base["status"].map(WORDS))
        shown = {"data": worded, "hide_index": True, "placeholder": "", "column_config": {
                "id": st.column_config.TextColumn("Finding", pinned=True), "clauses": "Clauses",
                "grade": st.column_config.SelectboxColumn("Grade", options=[WORDS[g] for g in GRADES], required=True),
                "description": st.column_config.TextColumn("What was found", width="medium"),
                "cause": st.column_config.TextColumn("Cause", width="medium"),
                "action": st.column_config.TextColumn("Action", width="medium"), "owner": "Owner",
                "due": st.column_config.DateColumn("Due", format="YYYY-MM-DD"),
                "status": st.column_config.SelectboxColumn("Status", options=[WORDS[s] for s in FINDING_STATUSES], required=True),
                "closed_on": st.column_config.DateColumn("Closed", format="YYYY-MM-DD"),
                "verified_by": "Effectiveness checked by",
                "verified_on": st.column_config.DateColumn("Checked", format="YYYY-MM-DD"),
            },
        }  # fmt: skip
        st.caption(
            f"Grades: {', '.join(WORDS[g] for g in GRADES)}. A finding is open until its action is closed. "
            f"Open now: {assurance.findings_summary(records['findings'], today)}."
        )
        if not may_find:
            st.dataframe(**shown)
        else:
            st.data_editor(
                **shown, key="findings_editor", disabled=["id", "clauses", "closed_on", "verified_by", "verified_on"]
            )
            edits = ss.get("findings_editor", {}).get("edited_rows", {})
            changed = {base.loc[int(r), "id"]: fields for r, fields in edits.items() if fields}
            revisions = dict(zip(findings["id"], findings["revision"], strict=True))

            def save_findings() -> None:
                def write(by: str):
                    return ui.store().save_records(
                        "findings", [], changed, {i: revisions[i] for i in changed}, by=by, source="ui"
                    )

                ss["assurance_outcome"] = ui.record(write)
                ss.pop("findings_editor", None)

            st.button(
                f"Save {counted(len(changed), 'changed finding')}" if changed else "Save", type="primary", disabled=not changed,
                on_click=save_findings,
                help="Closing needs an action; setting Verified records you as the one who checked its effectiveness, "
                "which the action's owner cannot be.",
            )  # fmt: skip
            with st.expander("Record a finding", key="finding_form_open"), st.form("finding"):
                leaves = plan.leaves(plan.edition)
                clauses = st.multiselect(
                    "Clauses", leaves, format_func=lambda c: f"{c} {plan.clauses[plan.edition][c].title}",
                    key=ui.field("finding", "clauses"),
                )  # fmt: skip
                left, right = st.columns(2)
                grade = left.selectbox("Grade", GRADES, format_func=WORDS.get, key=ui.field("finding", "grade"))
                source = right.selectbox(
                    "Found by", FINDING_SOURCES, format_func=WORDS.get, key=ui.field("finding", "source")
                )
                description = st.text_area("What was found", key=ui.field("finding", "description"))
                left, right = st.columns(2)  # below what was found, and paired on a phone
                owner = left.text_input("Owner of the action", key=ui.field("finding", "owner"))
                due = right.date_input("Due", None, format="YYYY-MM-DD", key=ui.field("finding", "due"))
                if st.form_submit_button("Record the finding", type="primary"):
                    fields = {"clauses": "; ".join(clauses), "grade": grade, "source": source, "description": description,
                              "owner": owner, "due": due}  # fmt: skip
                    ui.record_form(
                        "finding", "assurance_outcome",
                        lambda by: registers.add_findings(ui.store(), [fields], by=by, origin="ui"),
                    )  # fmt: skip

if assess_tab and assess_tab[0].open:
    with assess_tab[0], st.form("assessment"):
        tree = plan.clauses[plan.edition]
        clause = st.selectbox(
            "Clause", list(tree), format_func=lambda c: f"{'  ' * tree[c].depth}{c} {tree[c].title}",
            key=ui.field("assessment", "clause"),
        )  # fmt: skip
        left, right = st.columns(2)
        result = left.selectbox("Result", RESULTS, format_func=WORDS.get, key=ui.field("assessment", "result"))
        source = right.selectbox(
            "Source", ASSESSMENT_SOURCES, format_func=WORDS.get, key=ui.field("assessment", "source")
        )
        left, right = st.columns(2)  # a row per pair: on a phone they stack pair by pair
        on = left.date_input(
            "Assessed on", today, max_value=today, format="YYYY-MM-DD", key=ui.field("assessment", "on")
        )
        evidence = right.text_input("Evidence (a link or reference)", key=ui.field("assessment", "evidence"))
        notes = st.text_area("Notes", key=ui.field("assessment", "notes"))
        st.caption("An assessment of a clause with sub-clauses stands for each of them that has none of its own.")
        if st.form_submit_button("Record the assessment", type="primary"):
            ui.record_form("assessment", "assurance_outcome", lambda by: registers.assess(
                ui.store(), clause, result, by=by, source=source, on=on, evidence=evidence, notes=notes,
                origin="ui", today=today,
            ))  # fmt: skip

if audit_tab.open:
    with audit_tab:
        st.caption(
            f"Every clause must have been assessed by an internal audit in the last {assurance.AUDIT_MONTHS} months "
            "before the stage 2 audit; an audit of a clause covers the clauses below it."
        )
        shown = coverage.assign(covered=coverage["covered"].map({True: "Yes", False: "No"}))
        ui.grid(
            shown,
            column_config={"id": "Clause", "title": st.column_config.TextColumn("Title", width="large"),
                           "audited_on": st.column_config.DateColumn("Last internal audit", format="YYYY-MM-DD"),
                           "covered": "In the last 12 months"},
        )  # fmt: skip
