"""Documents made from a result: the PDFs (result, series, blank form), FHIR, the calendar file,
the chart, the QR code, and size padding.

Imports the core and codes only, and no web framework.
"""
