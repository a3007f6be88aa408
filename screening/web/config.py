"""Configuration: defaults, then instance/config.py, then SCREENING_* and FLASK_* variables,
merged into app.config and parsed once into the app's ``Settings`` (screening/settings.py).

The defaults describe the Expio clinic and are enough for ``make run``. Production must set
SECRET_KEY (the same for every worker, or CSRF tokens fail between workers). After start-up
the app's own settings are read from ``current_settings()`` only; app.config keeps what Flask
and its extensions read (SECRET_KEY, MAX_CONTENT_LENGTH, WTF_*, RATELIMIT_*, ...), set here
from the parsed values.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from screening.core.errors import ConfigError
from screening.settings import Settings, parse_settings, setting_keys
from screening.web.i18n import LANGUAGES
from screening.web.state import install_settings

# Flask's own settings that the app fixes rather than parses.
FLASK_DEFAULTS: dict[str, object] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
# Every setting's default: the fields of screening/settings.py, and Flask's fixed ones.
DEFAULTS: dict[str, object] = setting_keys() | FLASK_DEFAULTS


def load_config(app: Flask, test_config: dict[str, object] | None) -> Settings:
    """Fill app.config from defaults, the instance file and the environment, or from test_config;
    parse it into the app's Settings and give Flask and its extensions their keys from them."""
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("FLASK")
        # Clinic values stay text: a phone or emergency number such as 112 must not become an int.
        app.config.from_prefixed_env("SCREENING", loads=str)
    else:
        app.config.from_mapping(test_config)
    settings = parse_settings(app.config, LANGUAGES, Path(app.instance_path))
    install_settings(app, settings)
    _configure_flask(app, settings)
    return settings


def _configure_flask(app: Flask, settings: Settings) -> None:
    """The keys Flask, Flask-WTF and Flask-Limiter read, as the settings parsed them."""
    server, limits = settings.server, settings.limits
    app.config.update(
        SECRET_KEY=server.secret_key,
        MAX_CONTENT_LENGTH=server.max_content_length,
        MAX_FORM_PARTS=server.max_form_parts,
        WTF_CSRF_TIME_LIMIT=server.csrf_time_limit,
        SESSION_COOKIE_SECURE=server.https,
        TRUSTED_HOSTS=None
        if settings.proxy.trusted_hosts is None
        else list(settings.proxy.trusted_hosts),
        RATELIMIT_STORAGE_URI=limits.storage_uri,
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=limits.in_memory_fallback,
        RATELIMIT_STORAGE_TIMEOUT=limits.storage_timeout,
        RATELIMIT_HEADERS_ENABLED=limits.headers_enabled,
    )
    if limits.on_redis:
        # Give a Redis store connect and read timeouts (redis-py waits forever by default).
        given = app.config.get("RATELIMIT_STORAGE_OPTIONS") or {}
        if not isinstance(given, dict):
            raise ConfigError(f"RATELIMIT_STORAGE_OPTIONS must be a dict, got {given!r}")
        timeouts = {
            "socket_connect_timeout": limits.storage_timeout,
            "socket_timeout": limits.storage_timeout,
        }
        app.config["RATELIMIT_STORAGE_OPTIONS"] = timeouts | given
