"""Task charts: counts by status in each stage, and the schedule (Gantt) coloured by status."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from rollout.charts.theme import PLANNED_OPACITY, STATUS_COLOURS, ids_text, layout, short, stage_label
from rollout.values import STATUS_LABELS, STATUSES


def build_status_figure(table: pd.DataFrame) -> go.Figure:
    """Stacked bars of task counts by status in each stage, from a ``status_counts`` table."""
    stages = list(dict.fromkeys(table["stage_name"]))
    fig = go.Figure()
    for status in STATUSES:
        part = table[table["status"] == status].set_index("stage_name").reindex(stages)
        fig.add_trace(
            go.Bar(
                name=STATUS_LABELS[status],
                x=[stage_label(s) for s in stages],
                y=part["count"].tolist(),
                marker_color=STATUS_COLOURS[status],
                hovertext=[
                    f"{stage}<br>{STATUS_LABELS[status]}: {ids_text(ids)}"
                    for stage, ids in zip(stages, part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return layout(
        fig,
        "Tasks by status in each stage",
        barmode="stack",
        xaxis={"title": {"text": "Stage"}},
        yaxis={"title": {"text": "Tasks"}},
    )


def build_gantt_figure(table: pd.DataFrame, today: dt.date | None = None) -> go.Figure:
    """Bars from start to due by stage (a ``gantt_table``), coloured by status; planned bars drawn lighter."""
    rows = table.assign(
        label=[f"{tid} {short(title, 40)}" for tid, title in zip(table["task_id"], table["title"], strict=True)],
        status_label=table["status"].map(STATUS_LABELS),
        last_day=(table["finish"] - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"),
        first_day=table["start"].dt.strftime("%Y-%m-%d"),
        dates=np.where(table["planned"], "planned: no dates set", "dates set"),
    )
    fig = px.timeline(
        rows,
        x_start="start",
        x_end="finish",
        y="label",
        color="status_label",
        color_discrete_map={STATUS_LABELS[s]: c for s, c in STATUS_COLOURS.items()},
        category_orders={"label": rows["label"].tolist(), "status_label": [STATUS_LABELS[s] for s in STATUSES]},
        custom_data=["planned", "task_id", "title", "stage_name", "percent", "first_day", "last_day", "dates"],
        labels={"status_label": "Status"},
    )
    for trace in fig.data:
        trace.marker.opacity = [PLANNED_OPACITY if planned else 1.0 for planned in trace.customdata[:, 0]]
        trace.hovertemplate = (
            "%{customdata[1]} %{customdata[2]}<br>%{customdata[3]}<br>"
            + trace.name
            + ", %{customdata[4]} %<br>%{customdata[5]} to %{customdata[6]} (%{customdata[7]})<extra></extra>"
        )
    if today is not None:
        fig.add_vline(x=pd.Timestamp(today), line={"color": "#D55E00", "dash": "dot"})
    return layout(
        fig,
        "Schedule by stage (lighter bars are planned from effort and dependencies)",
        xaxis={"title": {"text": "Date"}},
        yaxis={"title": {"text": "Task"}},
        height=max(320, 22 * len(rows) + 160),
    )
