"""The burn-up: done effort-days week by week against the planned effort, with the forecast and the target."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from rollout.charts.theme import layout
from rollout.timeline import Forecast


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
    return layout(fig, title, xaxis={"title": {"text": "Week ending"}}, yaxis={"title": {"text": "Effort-days"}})
