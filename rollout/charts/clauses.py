"""Clause readiness drawn three ways: bars by clause, a clause by stage heatmap, and a radar of the main clauses."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rollout.charts.theme import (
    LABEL_SIZE,
    LABEL_WIDTH,
    NO_TASKS_COLOUR,
    RAG_COLOURS,
    bar_gap,
    ids_text,
    layout,
    row_height,
    shown,
    stage_label,
    wrap,
)
from rollout.readiness import RAG_BANDS, band_range, figure_text, percent_text, rag

RADAR_WIDTH = 14  # characters on a line of a radar's label: beside the circle within a phone's margins
RADAR_MARGIN = 100  # px each side: polar labels take no automatic margin


def build_clause_figure(
    table: pd.DataFrame, depth: int | None = 1, *, edition: str, label_width: int = LABEL_WIDTH
) -> go.Figure:
    """Horizontal bars of clause readiness (a ``clause_readiness`` table), one level or all, tree order top down.

    ``label_width``: characters on a line of a clause's name; a printed page has room for more than a phone.
    """
    rows = table if depth is None else table[table["depth"] == depth]
    names = [f"{cid} {title}" for cid, title in zip(rows["id"], rows["title"], strict=True)]
    labels = [wrap(name, label_width) for name in names]
    rows = rows.assign(name=names, label=labels, band=rows["readiness"].map(rag))
    row = row_height(labels, least=24)
    fig = go.Figure()
    for band, name in [*((b, band_range(b)) for b, _ in RAG_BANDS), (None, "no tasks")]:
        part = rows[rows["band"].isna()] if band is None else rows[rows["band"] == band]
        fig.add_trace(
            go.Bar(
                name=name,
                orientation="h",
                x=part["readiness"].fillna(0).tolist(),
                y=part["label"].tolist(),
                customdata=part["id"].tolist(),
                text=[figure_text(v) for v in part["readiness"]],
                # inside a bar long enough to hold it (a phone has little room beside); plotly writes
                # nothing in an empty bar under "auto"
                textposition=["auto" if v else "outside" for v in part["readiness"].fillna(0)],
                textfont_size=LABEL_SIZE,
                cliponaxis=False,
                marker_color=RAG_COLOURS.get(band, NO_TASKS_COLOUR),
                hovertext=[
                    f"{shown(name)}<br>{figure_text(v)}<br>{ids_text(ids)}"
                    for name, v, ids in zip(part["name"], part["readiness"], part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return layout(
        fig,
        f"Readiness by clause ({edition} edition)",
        xaxis={"title": {"text": "Readiness"}, "range": [0, 1.3], "tickformat": ".0%", "tickvals": [0, 0.5, 1]},
        # no axis title: the labels start with the clause numbers, and a title would sit on them
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed", "tickfont_size": LABEL_SIZE},
        height=max(320, row * len(labels) + 170),
        bargap=bar_gap(row),
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
    # a stage with no clause's task (certification work) would only add an empty column
    tasks = rows.groupby("stage_name", sort=False)["tasks"].sum()
    stages = tasks.index[tasks > 0].tolist()
    wide = rows.pivot(index="id", columns="stage_name").reindex(index=clauses)
    values, ids = wide["readiness"][stages].to_numpy(), wide["task_ids"][stages].to_numpy()
    titles = rows.drop_duplicates("id").set_index("id")["title"]
    names = [f"{cid} {titles[cid]}" for cid in clauses]
    y = [wrap(name) for name in names]
    fig = go.Figure(
        go.Heatmap(
            z=values.tolist(),
            x=[stage_label(s) for s in stages],
            y=y,
            zmin=0,
            zmax=1,
            colorscale=_rag_colourscale(),
            # below the chart, not beside it: a phone needs the width for the stages
            colorbar={
                "title": {"text": "Readiness", "side": "top"},
                "tickvals": [0, 0.5, 0.85],
                "tickformat": ".0%",
                "orientation": "h",
                "yref": "container",
                "y": 0,
                "yanchor": "bottom",
                "thickness": 12,
            },
            # the band's word under the figure: narrow cells (a phone's) keep a readable font
            text=[
                [
                    figure_text(value).replace(" · ", "<br>") if tasks else ""
                    for value, tasks in zip(row_values, row_ids, strict=True)
                ]
                for row_values, row_ids in zip(values, ids, strict=True)
            ],
            texttemplate="%{text}",
            customdata=[
                [
                    f"{shown(label)}<br>{shown(stage)}<br>{figure_text(value)}<br>{ids_text(tasks)}"
                    for stage, value, tasks in zip(stages, row_values, row_ids, strict=True)
                ]
                for label, row_values, row_ids in zip(names, values, ids, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return layout(
        fig,
        f"Clause readiness by stage ({edition} edition)",
        xaxis={"showgrid": False},
        yaxis={"autorange": "reversed", "showgrid": False},
        height=max(320, row_height(y, least=30) * len(y) + 160),
    )


def build_radar_figure(table: pd.DataFrame, *, edition: str) -> go.Figure:
    """Radar of the top-level clauses of a ``clause_readiness`` table (4 to 9, or 4 to 10)."""
    top = table[table["depth"] == 0]
    theta = [wrap(f"{cid} {title}", RADAR_WIDTH) for cid, title in zip(top["id"], top["title"], strict=True)]
    values = top["readiness"].fillna(0).tolist()
    texts = [figure_text(v) for v in top["readiness"]]
    # on the points the percent alone: one colour for all, no band to name, and the words crowded the circle
    points = [percent_text(v) for v in top["readiness"]]
    hover = [
        f"{shown(f'{cid} {title}')}<br>{text}<br>{ids_text(ids)}"
        for cid, title, text, ids in zip(top["id"], top["title"], texts, top["task_ids"], strict=True)
    ]
    fig = go.Figure(
        go.Scatterpolar(
            r=[*values, values[0]],
            theta=[*theta, theta[0]],
            text=[*points, ""],
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
    return layout(
        fig,
        f"Readiness of the main clauses ({edition} edition)",
        polar={
            # the percent scale between the last clause and the first, not on the first one's name and value
            "radialaxis": {
                "range": [0, 1],
                "tickformat": ".0%",
                "tickvals": [0.5, 0.85, 1],
                "angle": -180 / max(len(theta), 1),
                "tickangle": -180 / max(len(theta), 1),
            },
            "angularaxis": {"tickfont_size": LABEL_SIZE},
        },
        showlegend=False,
        height=520,
        margin={"l": RADAR_MARGIN, "r": RADAR_MARGIN, "t": 80, "b": 50},
    )
