"""The burn-up: done effort-days week by week against the planned effort, with the forecast and the target."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go

from rollout.charts.theme import layout, wrap
from rollout.timeline import NO_LATEST, VELOCITY_WEEKS, Forecast

FORECAST_COLOUR = "#E69F00"
HEIGHT = 520  # px: the plot keeps most of it with the legend below
SUBTITLE_WIDTH = 48  # characters on a line of the subtitle: it wraps on a phone instead of running off


def _day(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


def _line(name: str, x: list, y: list, **style: object) -> go.Scatter:
    return go.Scatter(name=name, x=x, y=y, mode="lines", **style)


def _range_drawn(forecast: Forecast) -> bool:
    """Whether the earliest and latest finish differ from the likely one and are drawn as a band."""
    return bool(forecast.likely and forecast.earliest and forecast.latest and forecast.earliest != forecast.latest)


def build_burnup_figure(table: pd.DataFrame, forecast: Forecast) -> go.Figure:
    """Done effort-days per week (a ``burnup`` table), the ceiling, the forecast range and the target date."""
    today = pd.Timestamp(forecast.today)
    ends = [d for d in (forecast.likely, forecast.latest, forecast.earliest) if d]
    right = pd.Timestamp(max([forecast.target, forecast.today, *ends]))
    top = max([forecast.ceiling, *table["ceiling"]])
    weeks = table["week_end"].dt.strftime("%d %b %Y").tolist()
    fig = go.Figure()
    fig.add_trace(
        _line(
            "Planned effort",
            [*table["week_end"], right],
            [*table["ceiling"], forecast.ceiling],
            line={"color": "#999999", "dash": "dash", "shape": "hv"},
            hovertemplate="%{x|%d %b %Y}: %{y:.1f} effort-days planned<extra></extra>",
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
    for trace in _forecast_traces(forecast, today):
        fig.add_trace(trace)
    fig.add_trace(
        _line(
            f"Target {_day(forecast.target)}",
            [pd.Timestamp(forecast.target)] * 2,
            [0, top],
            line={"color": "#D55E00", "width": 2},
            hovertemplate=f"Certification target: {_day(forecast.target)}<extra></extra>",
        )
    )
    verdict = forecast.reason or (
        f"likely finish {_day(forecast.likely)}: {forecast.verdict()}" if forecast.likely else None
    )
    left = table["week_end"].min() if len(table) else today
    return layout(
        fig,
        "Done effort against the plan",
        title_subtitle_text=wrap(verdict, SUBTITLE_WIDTH) if verdict else None,
        # a week's margin each side: the target's line is not drawn on the plot's edge
        xaxis={
            "title": {"text": "Week ending"},
            "range": [left - pd.Timedelta(weeks=1), right + pd.Timedelta(weeks=1)],
        },
        yaxis={"title": {"text": "Effort-days"}},
        height=HEIGHT,
    )


def _forecast_traces(forecast: Forecast, today: pd.Timestamp) -> list[go.Scatter]:
    """The likely finish as a line from today, and the band from the earliest to the latest finish when they differ.

    The band and its two edges are one legend entry: a phone has no room for five.
    """
    if forecast.likely is None:
        return []
    start, done, ceiling = today, forecast.done, forecast.ceiling
    traces = []
    if _range_drawn(forecast):
        earliest, latest = pd.Timestamp(forecast.earliest), pd.Timestamp(forecast.latest)
        traces.append(
            _line(
                f"Range {forecast.range_text(_day)}",
                [start, earliest, latest, start],
                [done, ceiling, ceiling, done],
                fill="toself",
                fillcolor="rgba(230,159,0,0.18)",
                line={"color": FORECAST_COLOUR, "width": 1, "dash": "dot"},
                legendgroup="range",
                hoverinfo="skip",
            )
        )
    elif forecast.earliest and forecast.earliest != forecast.likely:  # no latest date: the earliest alone
        traces.append(
            _line(
                f"Earliest finish {_day(forecast.earliest)}",
                [start, pd.Timestamp(forecast.earliest)],
                [done, ceiling],
                line={"color": FORECAST_COLOUR, "dash": "dot"},
                hovertemplate=f"Earliest finish: {_day(forecast.earliest)}<extra></extra>",
            )
        )
    traces.append(
        _line(
            f"Likely finish {_day(forecast.likely)}",
            [start, pd.Timestamp(forecast.likely)],
            [done, ceiling],
            line={"color": FORECAST_COLOUR, "width": 2.5},
            hovertemplate=f"Likely finish: {_day(forecast.likely)}<extra></extra>",
        )
    )
    return traces


def burnup_caption(forecast: Forecast) -> str:
    """What the burn-up draws, in words, for the caption under it: it names only the lines that are there."""
    said = "Done effort-days each week, rebuilt from the change log, against the effort planned"
    if forecast.likely is None:
        return f"{said}; no forecast line is drawn ({forecast.reason})."
    pace = f"at the pace of the last {VELOCITY_WEEKS} weeks"
    if _range_drawn(forecast):
        return (
            f"{said}. The orange line runs from today to the likely finish {pace}; the shaded band spans "
            "the earliest to the latest finish, at the pace of the fastest and the slowest of those weeks."
        )
    if forecast.earliest and forecast.earliest != forecast.likely:
        return (
            f"{said}. The orange lines run from today to the earliest and the likely finish {pace}; "
            f"there is no latest finish: {NO_LATEST}."
        )
    return f"{said}. The orange line runs from today to the likely finish {pace}."
