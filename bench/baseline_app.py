"""The browser target's floor: a title and one small plotly chart, served the same way as the app."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="Baseline", layout="wide")
st.title("Baseline")
st.plotly_chart(go.Figure(go.Bar(x=["red", "amber", "green"], y=[3, 5, 2])), key="baseline_chart")
