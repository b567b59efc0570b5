"""Plotly figures of the readiness tables; no Streamlit here, so tests and the report use them too.

Every figure takes a table computed by ``rollout.readiness``, ``rollout.timeline`` or
``rollout.assurance`` and only draws it. Shown figures are floored percents (``percent_text``);
red, amber and green come from ``readiness.RAG_BANDS`` in the Okabe-Ito palette, and their
words are written on the chart.
"""

from rollout.charts.burnup import build_burnup_figure, burnup_caption
from rollout.charts.clauses import build_clause_figure, build_heatmap_figure, build_radar_figure
from rollout.charts.conformity import build_conformity_figure
from rollout.charts.tasks import build_gantt_figure, build_status_figure
from rollout.charts.theme import (
    NO_TASKS_COLOUR,
    PLANNED_OPACITY,
    RAG_COLOURS,
    STATUS_COLOURS,
    TEMPLATE,
)

__all__ = [
    "NO_TASKS_COLOUR",
    "PLANNED_OPACITY",
    "RAG_COLOURS",
    "STATUS_COLOURS",
    "TEMPLATE",
    "build_burnup_figure",
    "build_clause_figure",
    "build_conformity_figure",
    "build_gantt_figure",
    "build_heatmap_figure",
    "build_radar_figure",
    "build_status_figure",
    "burnup_caption",
]
