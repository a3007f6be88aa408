"""Delivery to the clinic: the call-back email and the SMTP conversation that sends it.

Imports the core and codes only, and no web framework.
"""
