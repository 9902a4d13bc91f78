"""Recorded runs: SQLite storage, the background recorder, export/import, the offline report and replay.

Pure standard library plus app.ml.records: no FastAPI here (the routes live in app/web/recordings.py).
"""
