"""Task charts: counts by status in each stage, and the schedule (Gantt) coloured by status."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from rollout.charts.theme import (
    HATCH,
    PLANNED_OPACITY,
    STATUS_COLOURS,
    STATUS_PATTERNS,
    bar_gap,
    ids_text,
    layout,
    row_height,
    shown,
    stage_label,
    wrap,
)
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
                marker={"color": STATUS_COLOURS[status], "pattern": {"shape": STATUS_PATTERNS[status], **HATCH}},
                hovertext=[
                    f"{shown(stage)}<br>{STATUS_LABELS[status]}: {ids_text(ids)}"
                    for stage, ids in zip(stages, part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return layout(
        fig,
        "Tasks by status in each stage",
        barmode="stack",
        yaxis={"title": {"text": "Tasks"}},
    )


def build_gantt_figure(table: pd.DataFrame, today: dt.date | None = None) -> go.Figure:
    """Bars from start to due by stage (a ``gantt_table``), coloured by status; planned bars drawn lighter."""
    rows = table.assign(
        # two lines at most: a stage's tens of bars stay on a screen; the hover has the whole title
        label=[wrap(f"{tid} {title}", lines=2) for tid, title in zip(table["task_id"], table["title"], strict=True)],
        status_label=table["status"].map(STATUS_LABELS),
        shown_title=table["title"].map(shown),
        shown_stage=table["stage_name"].map(shown),
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
        pattern_shape="status_label",
        pattern_shape_map={STATUS_LABELS[s]: p for s, p in STATUS_PATTERNS.items()},
        category_orders={"label": rows["label"].tolist(), "status_label": [STATUS_LABELS[s] for s in STATUSES]},
        custom_data=["planned", "task_id", "shown_title", "shown_stage", "percent", "first_day", "last_day", "dates"],
        labels={"status_label": ""},  # the legend's names say what they are: no title to take a phone's width
    )
    for trace in fig.data:
        trace.marker.pattern.update(HATCH)
        trace.marker.opacity = [PLANNED_OPACITY if planned else 1.0 for planned in trace.customdata[:, 0]]
        trace.hovertemplate = (
            "%{customdata[1]} %{customdata[2]}<br>%{customdata[3]}<br>"
            + trace.name
            + ", %{customdata[4]} %<br>%{customdata[5]} to %{customdata[6]} (%{customdata[7]})<extra></extra>"
        )
    labels = rows["label"].tolist()
    if today is not None and labels:  # a line of its own in the legend, which names the day
        fig.add_trace(
            go.Scatter(
                name=f"Today {today:%d %b %Y}",
                x=[pd.Timestamp(today)] * 2,
                y=[labels[0], labels[-1]],
                mode="lines",
                line={"color": "#D55E00", "dash": "dot", "width": 2},
                hovertemplate=f"today {today:%d %b %Y}<extra></extra>",
            )
        )
    row = row_height(labels, least=22)
    return layout(
        fig,
        "Schedule by stage",
        title_subtitle_text="lighter bars are planned from effort and dependencies",
        xaxis={"title": {"text": "Date"}},
        # no axis title: the labels start with the task ids, and a title would sit on them
        # and the range of the bars alone: the today line's ends would pad it
        yaxis={"title": {"text": None}, "range": [-0.5, len(labels) - 0.5]},
        height=max(320, row * len(labels) + 220),  # and the legend's rows below
        bargap=bar_gap(row),
    )
