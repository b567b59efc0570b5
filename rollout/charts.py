"""Plotly figures of the readiness tables; no Streamlit here, so tests and the report use them too.

Every figure takes a table computed by ``rollout.readiness`` or ``rollout.timeline`` and only
draws it. Shown figures are floored percents (``percent_text``); red, amber and green come from
``readiness.RAG_BANDS`` in the Okabe-Ito palette, and their words are written on the chart.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio

from rollout.readiness import RAG_BANDS, percent_text, rag
from rollout.records import ASSESSMENT_SOURCES, WORDS
from rollout.timeline import Forecast
from rollout.values import STATUS_LABELS, STATUSES

TEMPLATE = "rollout"
RAG_COLOURS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73"}
NO_TASKS_COLOUR = "#BBBBBB"
STATUS_COLOURS = {
    "not_started": "#999999",
    "in_progress": "#0072B2",
    "blocked": "#D55E00",
    "done": "#009E73",
    "not_applicable": "#DDDDDD",
}
PLANNED_OPACITY = 0.4
LISTED_IDS = 12
LABEL_LENGTH = 48

pio.templates[TEMPLATE] = go.layout.Template(
    layout={
        "font": {"family": "Source Sans Pro, Arial, sans-serif", "size": 13, "color": "#262730"},
        "title": {"x": 0, "xanchor": "left", "font": {"size": 17}},
        "colorway": ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"],
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {"gridcolor": "#E6E6E6", "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": "#E6E6E6", "zeroline": False, "automargin": True},
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        "hoverlabel": {"align": "left"},
        "margin": {"l": 10, "r": 10, "t": 60, "b": 80},
    }
)


# labels ------------------------------------------------------------------------
def _short(text: str, length: int = LABEL_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _ids_text(ids: list[str]) -> str:
    """Task ids for a hover text, the first few and how many more."""
    if not ids:
        return "no applicable tasks"
    shown = ", ".join(ids[:LISTED_IDS])
    more = f" and {len(ids) - LISTED_IDS} more" if len(ids) > LISTED_IDS else ""
    return f"{len(ids)} task{'s' if len(ids) != 1 else ''}: {shown}{more}"


def stage_label(name: str) -> str:
    """A stage's short axis label: its name up to the colon ('Phase 1: Foundation' -> 'Phase 1')."""
    return name.split(":", 1)[0]


def figure_text(value: float | None) -> str:
    """A figure with its band word, as written on the charts: '42 % · amber'."""
    band = rag(value)
    return percent_text(value) if band is None else f"{percent_text(value)} · {band}"


def band_legend(name: str) -> str:
    """The legend entry of a band, from the thresholds: 'amber · 50 % to 84 %'."""
    bounds = [0.0, *(bound for _, bound in RAG_BANDS)]
    i = [band for band, _ in RAG_BANDS].index(name)
    low, high = bounds[i], bounds[i + 1]
    if low == 0:
        return f"{name} · below {percent_text(high)}"
    if math.isinf(high):
        return f"{name} · {percent_text(low)} and above"
    return f"{name} · {percent_text(low)} to {math.ceil(100 * high) - 1} %"


def _layout(fig: go.Figure, title: str, **layout: object) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title={"text": title}, **layout)
    return fig


# readiness by clause -----------------------------------------------------------
def build_clause_figure(table: pd.DataFrame, depth: int | None = 1, *, edition: str) -> go.Figure:
    """Horizontal bars of clause readiness (a ``clause_readiness`` table), one level or all, tree order top down."""
    rows = table if depth is None else table[table["depth"] == depth]
    labels = [f"{cid} {_short(title)}" for cid, title in zip(rows["id"], rows["title"], strict=True)]
    rows = rows.assign(label=labels, band=rows["readiness"].map(rag))
    fig = go.Figure()
    for band, name in [*((b, band_legend(b)) for b, _ in RAG_BANDS), (None, "no tasks")]:
        part = rows[rows["band"].isna()] if band is None else rows[rows["band"] == band]
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                x=part["readiness"].fillna(0).tolist(),
                y=part["label"].tolist(),
                customdata=part["id"].tolist(),
                text=[figure_text(v) for v in part["readiness"]],
                textposition="outside",
                cliponaxis=False,
                marker_color=RAG_COLOURS.get(band, NO_TASKS_COLOUR),
                hovertext=[
                    f"{label}<br>{figure_text(v)}<br>{_ids_text(ids)}"
                    for label, v, ids in zip(part["label"], part["readiness"], part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return _layout(
        fig,
        f"Readiness by clause ({edition} edition)",
        xaxis={"title": {"text": "Readiness"}, "range": [0, 1.3], "tickformat": ".0%", "tickvals": [0, 0.5, 1]},
        yaxis={"title": {"text": "Clause"}, "categoryorder": "array", "categoryarray": labels, "autorange": "reversed"},
        height=max(320, 28 * len(labels) + 140),
    )


def _rag_colourscale() -> list[list[float | str]]:
    """Discrete red/amber/green steps on 0..1 at the band thresholds."""
    scale: list[list[float | str]] = []
    low = 0.0
    for band, bound in RAG_BANDS:
        high = min(bound, 1.0)
        scale += [[low, RAG_COLOURS[band]], [high, RAG_COLOURS[band]]]
        low = high
    return scale


def build_heatmap_figure(table: pd.DataFrame, depth: int | None = 1, *, edition: str) -> go.Figure:
    """Clause x stage heatmap of a ``clause_stage_readiness`` table: a cell is the clause's tasks within a stage."""
    rows = table if depth is None else table[table["depth"] == depth]
    clauses = list(dict.fromkeys(rows["id"]))
    stages = list(dict.fromkeys(rows["stage_name"]))
    wide = rows.pivot(index="id", columns="stage_name").reindex(index=clauses)
    values, ids = wide["readiness"][stages].to_numpy(), wide["task_ids"][stages].to_numpy()
    titles = rows.drop_duplicates("id").set_index("id")["title"]
    y = [f"{cid} {_short(titles[cid], 36)}" for cid in clauses]
    fig = go.Figure(
        go.Heatmap(
            z=values.tolist(),
            x=[stage_label(s) for s in stages],
            y=y,
            zmin=0,
            zmax=1,
            colorscale=_rag_colourscale(),
            colorbar={"title": {"text": "Readiness"}, "tickvals": [0, 0.5, 0.85, 1], "tickformat": ".0%"},
            text=[
                [figure_text(value) if tasks else "" for value, tasks in zip(row_values, row_ids, strict=True)]
                for row_values, row_ids in zip(values, ids, strict=True)
            ],
            texttemplate="%{text}",
            customdata=[
                [
                    f"{label}<br>{stage}<br>{figure_text(value)}<br>{_ids_text(tasks)}"
                    for stage, value, tasks in zip(stages, row_values, row_ids, strict=True)
                ]
                for label, row_values, row_ids in zip(y, values, ids, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(
        fig,
        f"Readiness of each clause's tasks within each stage ({edition} edition)",
        xaxis={"title": {"text": "Stage"}, "showgrid": False},
        yaxis={"title": {"text": "Clause"}, "autorange": "reversed", "showgrid": False},
        height=max(320, 30 * len(clauses) + 160),
    )


def build_radar_figure(table: pd.DataFrame, *, edition: str) -> go.Figure:
    """Radar of the top-level clauses of a ``clause_readiness`` table (4 to 9, or 4 to 10)."""
    top = table[table["depth"] == 0]
    theta = [f"{cid} {_short(title, 24)}" for cid, title in zip(top["id"], top["title"], strict=True)]
    values = top["readiness"].fillna(0).tolist()
    texts = [figure_text(v) for v in top["readiness"]]
    hover = [
        f"{cid} {title}<br>{text}<br>{_ids_text(ids)}"
        for cid, title, text, ids in zip(top["id"], top["title"], texts, top["task_ids"], strict=True)
    ]
    fig = go.Figure(
        go.Scatterpolar(
            r=[*values, values[0]],
            theta=[*theta, theta[0]],
            text=[*texts, ""],
            hovertext=[*hover, hover[0]],
            hoverinfo="text",
            customdata=[*top["id"], top["id"].iloc[0]],
            mode="lines+markers+text",
            textposition="top center",
            fill="toself",
            name="Readiness",
            line_color="#0072B2",
        )
    )
    return _layout(
        fig,
        f"Readiness of the main clauses ({edition} edition)",
        polar={"radialaxis": {"range": [0, 1], "tickformat": ".0%", "tickvals": [0, 0.5, 0.85, 1]}},
        showlegend=False,
        height=520,
        margin={"l": 90, "r": 90, "t": 80, "b": 50},
    )


# status per stage --------------------------------------------------------------
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
                    f"{stage}<br>{STATUS_LABELS[status]}: {_ids_text(ids)}"
                    for stage, ids in zip(stages, part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return _layout(
        fig,
        "Tasks by status in each stage",
        barmode="stack",
        xaxis={"title": {"text": "Stage"}},
        yaxis={"title": {"text": "Tasks"}},
    )


# burn-up and forecast ----------------------------------------------------------
def _line(name: str, x: list, y: list, **style: object) -> go.Scatter:
    return go.Scatter(name=name, x=x, y=y, mode="lines", **style)


def build_burnup_figure(table: pd.DataFrame, forecast: Forecast) -> go.Figure:
    """Done effort-days per week (a ``burnup`` table), the ceiling, the forecast range and the target date."""
    today = pd.Timestamp(forecast.today)
    ends = [d for d in (forecast.likely, forecast.latest, forecast.earliest) if d]
    right = pd.Timestamp(max([forecast.target, forecast.today, *ends]))
    top = max([forecast.ceiling, *table["ceiling"]])
    weeks = table["week_end"].dt.strftime("%Y-%m-%d").tolist()
    fig = go.Figure()
    fig.add_trace(
        _line(
            "Planned effort (ceiling)",
            [*table["week_end"], right],
            [*table["ceiling"], forecast.ceiling],
            line={"color": "#999999", "dash": "dash", "shape": "hv"},
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f} effort-days planned<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            name="Done",
            x=table["week_end"],
            y=table["done"],
            mode="lines+markers",
            line={"color": "#0072B2", "width": 3},
            hovertext=[f"week ending {w}: {d:.1f} effort-days done" for w, d in zip(weeks, table["done"], strict=True)],
            hoverinfo="text",
        )
    )
    if forecast.earliest and forecast.latest:
        fig.add_trace(
            _line(
                "Forecast range",
                [today, pd.Timestamp(forecast.earliest), pd.Timestamp(forecast.latest), today],
                [forecast.done, forecast.ceiling, forecast.ceiling, forecast.done],
                fill="toself",
                fillcolor="rgba(230,159,0,0.18)",
                line={"width": 0},
                hoverinfo="skip",
            )
        )
    for name, day, dash in (
        ("Earliest finish", forecast.earliest, "dot"),
        ("Likely finish", forecast.likely, "solid"),
        ("Latest finish", forecast.latest, "dot"),
    ):
        if day:
            fig.add_trace(
                _line(
                    f"{name} {day}",
                    [today, pd.Timestamp(day)],
                    [forecast.done, forecast.ceiling],
                    line={"color": "#E69F00", "dash": dash},
                    hovertemplate=f"{name}: {day}<extra></extra>",
                )
            )
    fig.add_trace(
        _line(
            f"Target {forecast.target}",
            [pd.Timestamp(forecast.target)] * 2,
            [0, top],
            line={"color": "#D55E00", "width": 2},
            hovertemplate=f"Certification target: {forecast.target}<extra></extra>",
        )
    )
    title = "Done effort against the plan"
    if forecast.reason:
        title += f"<br><sup>{forecast.reason}</sup>"
    elif forecast.on_track is not None:
        title += (
            f"<br><sup>likely finish {forecast.likely}: {'on track' if forecast.on_track else 'after the target'}</sup>"
        )
    return _layout(fig, title, xaxis={"title": {"text": "Week ending"}}, yaxis={"title": {"text": "Effort-days"}})


# Gantt -------------------------------------------------------------------------
def build_gantt_figure(table: pd.DataFrame, today: dt.date | None = None) -> go.Figure:
    """Bars from start to due by stage (a ``gantt_table``), coloured by status; planned bars drawn lighter."""
    rows = table.assign(
        label=[f"{tid} {_short(title, 40)}" for tid, title in zip(table["task_id"], table["title"], strict=True)],
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
    return _layout(
        fig,
        "Schedule by stage (lighter bars are planned from effort and dependencies)",
        xaxis={"title": {"text": "Date"}},
        yaxis={"title": {"text": "Task"}},
        height=max(320, 22 * len(rows) + 160),
    )


# conformity --------------------------------------------------------------------
CONFORMITY_COLOURS = {
    "conforming": "#009E73",
    "minor_gap": "#E69F00",
    "major_gap": "#D55E00",
    "not_assessed": "#DDDDDD",
}


def build_conformity_figure(grid: pd.DataFrame, depth: int | None = None) -> go.Figure:
    """Clause x source heatmap of an ``assurance.source_grid``: each source's latest result of each clause."""
    rows = grid if depth is None else grid[grid["depth"] == depth]
    sources = [s for s in ASSESSMENT_SOURCES if s in rows.columns]
    codes = list(CONFORMITY_COLOURS)
    y = [f"{cid} {_short(title, 36)}" for cid, title in zip(rows["id"], rows["title"], strict=True)]
    results = rows[sources].to_numpy()
    z = [[codes.index(r) if r else None for r in row] for row in results]
    scale = [[i / (len(codes) - 1), colour] for i, colour in enumerate(CONFORMITY_COLOURS.values())]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[WORDS[s] for s in sources],
            y=y,
            zmin=0,
            zmax=len(codes) - 1,
            colorscale=[step for i, (at, colour) in enumerate(scale) for step in _band(scale, i, at, colour)],
            showscale=False,
            text=[[WORDS[r] if r else "" for r in row] for row in results],
            texttemplate="%{text}",
            hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return _layout(
        fig,
        "Each source's latest assessment of each clause",
        xaxis={"side": "top", "showgrid": False},
        yaxis={"title": {"text": "Clause"}, "autorange": "reversed", "showgrid": False},
        height=max(320, 26 * len(y) + 140),
    )


def _band(scale: list[list], i: int, at: float, colour: str) -> list[list]:
    """Two stops per code, so that each integer shows one flat colour."""
    half = 0.5 / (len(scale) - 1)
    return [[max(0.0, at - half), colour], [min(1.0, at + half), colour]]
