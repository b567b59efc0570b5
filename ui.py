"""The one non-page module that imports streamlit: settings, cached loaders, the sidebar."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from rollout import config
from rollout.plan import Plan, PlanError, load_plan


def _mtimes(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.y*ml"))) if folder.is_dir() else ()


@st.cache_resource(show_spinner=False, max_entries=4)
def _plan(folder: str, stamp: tuple) -> Plan:
    return load_plan(folder)


def plan() -> Plan:
    """The plan of ROLLOUT_PHASES, reloaded when a file of it changes; a broken plan stops the page."""
    folder = config.phases_dir()
    try:
        return _plan(str(folder), _mtimes(folder))
    except PlanError as exc:
        st.error(f"The plan in {folder} has {len(exc.issues)} error(s); fix them and reload.")
        st.code(str(exc), language=None)
        st.stop()
