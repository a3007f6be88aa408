"""Result codes: their symbols, sealing and versions, and several codes read as a series.

Imports the core only.
"""
