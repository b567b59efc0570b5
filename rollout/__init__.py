"""ISO 20000 Rollout Tracker: the core, plain Python (never imports streamlit)."""
