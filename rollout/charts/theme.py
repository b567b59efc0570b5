"""The charts' look and words: the registered plotly theme, the colours, and the labels every chart writes."""

from __future__ import annotations

import html
import textwrap

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "rollout"
RAG_COLOURS = {"red": "#D55E00", "amber": "#E69F00", "green": "#009E73"}
NO_TASKS_COLOUR = "#BBBBBB"
STATUS_COLOURS = {
    "not_started": "#999999",
    "in_progress": "#0072B2",
    "blocked": "#D55E00",
    "done": "#009E73",
    "not_applicable": "#FFFFFF",
}
# not applicable is hatched in grey on white: two greys (and a planned bar drawn lighter) could not be told apart
STATUS_PATTERNS = {status: "/" if status == "not_applicable" else "" for status in STATUS_COLOURS}
HATCH = {"fgcolor": "#777777", "solidity": 0.25}
PLANNED_OPACITY = 0.4
LISTED_IDS = 12
LABEL_WIDTH = 30  # characters on a line of a long axis label: two lines hold most clauses' names,
# and a phone keeps room for the bars
LABEL_SIZE = 12  # px: the font of long axis labels and of values written on bars
LINE_PX = 15  # the height of a label's line
BAR_PX = 20  # the thickness of a horizontal bar

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


def shown(text: str) -> str:
    """Text as plotly draws it: its HTML-like tags (<a href>, <b>, <br>) escaped, so a plan's title stays text."""
    return html.escape(str(text), quote=False)


def wrap(text: str, width: int = LABEL_WIDTH, lines: int | None = None) -> str:
    """A long label on as many lines as it needs (plotly's <br>), each escaped; cut with '…' only past ``lines``."""
    parts = textwrap.wrap(text, width, max_lines=lines, placeholder=" …") or [text]
    return "<br>".join(map(shown, parts))


def row_height(labels: list[str], least: int = 28) -> int:
    """Pixels a row of a category axis needs for its labels: plotly gives every row the same.

    A row holds two lines and the space around them: the rare label of three (never two side by
    side in the standard's clauses) takes that space instead of making every row of a long chart taller.
    """
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    return max(least, min(lines, 2) * LINE_PX + 12)


def bar_gap(row: int) -> float:
    """The gap between bars that keeps each bar BAR_PX thick, however tall its row."""
    return max(0.2, 1 - BAR_PX / row)


def ids_text(ids: list[str]) -> str:
    """Task ids for a hover text, the first few and how many more."""
    if not ids:
        return "no applicable tasks"
    shown = ", ".join(ids[:LISTED_IDS])
    more = f" and {len(ids) - LISTED_IDS} more" if len(ids) > LISTED_IDS else ""
    return f"{len(ids)} task{'s' if len(ids) != 1 else ''}: {shown}{more}"


def stage_label(name: str) -> str:
    """A stage's short axis label: its name up to the colon ('Phase 1: Foundation' -> 'Phase 1')."""
    return shown(name.split(":", 1)[0])


def layout(fig: go.Figure, title: str, **settings: object) -> go.Figure:
    """The figure in the project's theme, with its title and any other layout settings."""
    fig.update_layout(template=TEMPLATE, title={"text": title}, **settings)
    return fig
