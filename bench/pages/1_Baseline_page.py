"""The baseline drawn from a page of a multipage app: what Streamlit adds to reach a page, and nothing more."""

from baseline_app import draw

draw()
