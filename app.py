"""StretchCheck: streamlit run app.py (the app is pose/app.py; `stretchcheck app` runs it too)."""

from pose.app import run

run()
