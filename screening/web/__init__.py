"""The web layer: blueprints, forms, page building, response sizes, security, staff sign-in,
languages and error pages, with the templates and static files.

The only layer that imports Flask; it sits on top of every other.
"""
