"""Lessons: a lecture's storyline as ordered steps, each with text, a formula and one live view.

model (the file format, validated) -> files (JSON/TOML in and out) -> library (built-in, data directory, imported)
-> session (the runs each step uses, prepared ahead) -> handout (one offline HTML file). Nothing here is web code;
app/web/lessons.py serves it.
"""
