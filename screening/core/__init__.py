"""The core: the instrument and its files, scoring, the question before the items, the clinic and
its hours, change over time, the clinician's notes.

Pure Python: nothing here imports Flask or anything above it (the import contracts in
pyproject.toml hold it so).
"""
