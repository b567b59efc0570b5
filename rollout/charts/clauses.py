"""Clause readiness drawn three ways: bars by clause, a clause by stage heatmap, and a radar of the main clauses."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rollout.charts.theme import NO_TASKS_COLOUR, RAG_COLOURS, ids_text, layout, short, stage_label
from rollout.readiness import RAG_BANDS, band_range, figure_text, rag


def build_clause_figure(table: pd.DataFrame, depth: int | None = 1, *, edition: str) -> go.Figure:
    """Horizontal bars of clause readiness (a ``clause_readiness`` table), one level or all, tree order top down."""
    rows = table if depth is None else table[table["depth"] == depth]
    labels = [f"{cid} {short(title)}" for cid, title in zip(rows["id"], rows["title"], strict=True)]
    rows = rows.assign(label=labels, band=rows["readiness"].map(rag))
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
                textposition="outside",
                cliponaxis=False,
                marker_color=RAG_COLOURS.get(band, NO_TASKS_COLOUR),
                hovertext=[
                    f"{label}<br>{figure_text(v)}<br>{ids_text(ids)}"
                    for label, v, ids in zip(part["label"], part["readiness"], part["task_ids"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    return layout(
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
    y = [f"{cid} {short(titles[cid], 36)}" for cid in clauses]
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
                    f"{label}<br>{stage}<br>{figure_text(value)}<br>{ids_text(tasks)}"
                    for stage, value, tasks in zip(stages, row_values, row_ids, strict=True)
                ]
                for label, row_values, row_ids in zip(y, values, ids, strict=True)
            ],
            hovertemplate="%{customdata}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return layout(
        fig,
        f"Readiness of each clause's tasks within each stage ({edition} edition)",
        xaxis={"title": {"text": "Stage"}, "showgrid": False},
        yaxis={"title": {"text": "Clause"}, "autorange": "reversed", "showgrid": False},
        height=max(320, 30 * len(clauses) + 160),
    )


def build_radar_figure(table: pd.DataFrame, *, edition: str) -> go.Figure:
    """Radar of the top-level clauses of a ``clause_readiness`` table (4 to 9, or 4 to 10)."""
    top = table[table["depth"] == 0]
    theta = [f"{cid} {short(title, 24)}" for cid, title in zip(top["id"], top["title"], strict=True)]
    values = top["readiness"].fillna(0).tolist()
    texts = [figure_text(v) for v in top["readiness"]]
    hover = [
        f"{cid} {title}<br>{text}<br>{ids_text(ids)}"
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
    return layout(
        fig,
        f"Readiness of the main clauses ({edition} edition)",
        polar={"radialaxis": {"range": [0, 1], "tickformat": ".0%", "tickvals": [0, 0.5, 0.85, 1]}},
        showlegend=False,
        height=520,
        margin={"l": 90, "r": 90, "t": 80, "b": 50},
    )
