"""Conformity: each assessment source's latest result for each clause, as a heatmap."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rollout.charts.theme import layout, row_height, shown, wrap
from rollout.records import ASSESSMENT_SOURCES, WORDS

CONFORMITY_COLOURS = {
    "conforming": "#009E73",
    "minor_gap": "#E69F00",
    "major_gap": "#D55E00",
    "not_assessed": "#DDDDDD",
}


def build_conformity_figure(grid: pd.DataFrame, depth: int | None = None) -> go.Figure:
    """Clause x source heatmap of an ``assurance.source_grid``: each source's latest result of each clause."""
    rows = grid if depth is None else grid[grid["depth"] == depth]
    # a source that assessed nothing yet would only add an empty column: a phone has no room for it
    sources = [s for s in ASSESSMENT_SOURCES if s in rows.columns and rows[s].ne("").any()]
    codes = list(CONFORMITY_COLOURS)
    names = [f"{cid} {title}" for cid, title in zip(rows["id"], rows["title"], strict=True)]
    y = [wrap(name) for name in names]
    results = rows[sources].to_numpy()
    z = [[codes.index(r) if r else None for r in row] for row in results]
    scale = [[i / (len(codes) - 1), colour] for i, colour in enumerate(CONFORMITY_COLOURS.values())]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[wrap(WORDS[s], 10) for s in sources],  # 'Internal<br>audit': narrow columns on a phone
            y=y,
            zmin=0,
            zmax=len(codes) - 1,
            colorscale=[step for i, (at, colour) in enumerate(scale) for step in _band(scale, i, at, colour)],
            showscale=False,
            text=[[WORDS[r] if r else "" for r in row] for row in results],
            texttemplate="%{text}",
            customdata=[
                [(shown(name), WORDS[r] if r else "") for r in row] for name, row in zip(names, results, strict=True)
            ],
            hovertemplate="%{customdata[0]}<br>%{x}: %{customdata[1]}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return layout(
        fig,
        "Latest assessment of each clause, by source",
        xaxis={"side": "top", "showgrid": False},
        title_automargin=True,  # the title above the column labels, not on them
        yaxis={"autorange": "reversed", "showgrid": False},
        height=max(320, row_height(y, least=26) * len(y) + 140),
    )


def _band(scale: list[list], i: int, at: float, colour: str) -> list[list]:
    """Two stops per code, so that each integer shows one flat colour."""
    half = 0.5 / (len(scale) - 1)
    return [[max(0.0, at - half), colour], [min(1.0, at + half), colour]]
