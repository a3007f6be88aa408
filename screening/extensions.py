"""Flask extensions, created once here and bound to each app in create_app()."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# Limits only what is declared per view (access-code attempts); storage from RATELIMIT_STORAGE_URI.
limiter = Limiter(get_remote_address)

# Interface translations; the locale selector is given in create_app().
babel = Babel()
