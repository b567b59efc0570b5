"""The browser target's floor: a title and one small plotly chart, served the same way as the app.

The app's home page is measured against this script's own page, every other page against
``pages/1_Baseline_page.py``, which draws the same from a page of a multipage app, as the app's pages are.
"""

import plotly.graph_objects as go
import streamlit as st


def draw() -> None:
    st.set_page_config(page_title="Baseline", layout="wide")
    st.title("Baseline")
    st.plotly_chart(go.Figure(go.Bar(x=["red", "amber", "green"], y=[3, 5, 2])), key="baseline_chart")


if __name__ == "__main__":
    draw()
