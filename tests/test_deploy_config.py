"""deploy/: what the configuration files promise, checked without starting anything."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess

import pytest

from screening.clinic import ConfigError
from tools.stack import DEPLOY, PROJECT_ROOT


def gunicorn_settings(monkeypatch, **env: str) -> dict[str, object]:
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "SCREENING_TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


@pytest.mark.parametrize(("trusted", "allowed"), [("0", ""), ("1", "127.0.0.1,::1")])
def test_gunicorn_trusts_forwarded_headers_exactly_when_the_app_does(monkeypatch, trusted, allowed):
    settings = gunicorn_settings(monkeypatch, SCREENING_TRUSTED_PROXIES=trusted)
    assert settings["forwarded_allow_ips"] == allowed


def test_gunicorn_takes_bind_and_workers_from_the_environment(monkeypatch):
    settings = gunicorn_settings(monkeypatch, GUNICORN_BIND="127.0.0.1:9001", GUNICORN_WORKERS="3")
    assert settings["bind"] == ["127.0.0.1:9001"]
    assert settings["workers"] == 3
    assert gunicorn_settings(monkeypatch)["workers"] >= 3  # 2 per core plus one


def test_the_access_log_format_has_no_byte_count_query_string_or_referrer(monkeypatch):
    log_format = gunicorn_settings(monkeypatch)["access_log_format"]
    # %(b)s/%(B)s bytes, %(r)s request line and %(q)s query string, %(f)s referrer.
    assert not re.search(r"%\((b|B|r|q|f)\)s", log_format)


def test_the_caddyfile_never_compresses():
    directives = [line.split()[0] for line in (DEPLOY / "Caddyfile").read_text().splitlines()
                  if line.strip() and not line.strip().startswith("#")]  # fmt: skip
    assert "encode" not in directives


def test_a_redis_store_gets_timeouts_and_the_memory_fallback(make_app):
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }


@pytest.mark.parametrize("timeout", ["0", "31", "soon"])
def test_a_wrong_store_timeout_stops_start_up(make_app, timeout):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_TIMEOUT"):
        make_app(RATELIMIT_STORAGE_TIMEOUT=timeout)


def verified_units(tmp_path, project_root: str) -> str:
    """What ``systemd-analyze verify`` says of deploy/systemd's units, installed at
    ``project_root`` instead of /opt/screening (it checks that ExecStart's program exists)."""
    for unit in (DEPLOY / "systemd").glob("screening@.*"):
        text = unit.read_text().replace("/opt/screening", project_root)
        (tmp_path / unit.name).write_text(text)
    verified = subprocess.run(
        ["systemd-analyze", "verify", "./screening@1.service", "./screening@1.socket"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return verified.stdout + verified.stderr


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None and os.environ.get("CI") != "true",
    reason="systemd-analyze is not installed (.ci/run installs systemd)",
)


@needs_systemd_analyze
def test_the_systemd_units_verify_and_run_the_deploy_files(tmp_path):
    assert verified_units(tmp_path, str(PROJECT_ROOT)) == ""
    service = (DEPLOY / "systemd" / "screening@.service").read_text()
    assert "ExecStart=/opt/screening/.venv/bin/gunicorn -c deploy/gunicorn.conf.py" in service
    assert "Requires=screening@%i.socket" in service
    assert "Restart=always" in service
    caddy = (DEPLOY / "systemd" / "caddy.service.d" / "screening.conf").read_text()
    assert "--config /opt/screening/deploy/Caddyfile" in caddy


@needs_systemd_analyze
def test_a_broken_unit_is_reported(tmp_path):
    # The check above could pass on a tool that says nothing: show that it speaks up.
    assert "is not executable" in verified_units(tmp_path, str(tmp_path / "nowhere"))


def unit_directives(name: str) -> dict[str, str]:
    """``Key=value`` lines of a deploy/systemd unit (comments left out)."""
    directives = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            directives[key.strip()] = value.strip()
    return directives


def test_restarting_an_instance_leaves_its_socket_and_queue_alone():
    # PartOf= (or BindsTo=) from the socket to its service propagates every stop and restart of
    # the service, the automatic one of Restart=always included (a restart job), to the socket:
    # systemd would close it and reset the connections queued for the restarted instance.
    socket_unit = unit_directives("screening@.socket")
    assert not {"PartOf", "BindsTo"} & socket_unit.keys()
    assert unit_directives("screening@.service")["Requires"] == "screening@%i.socket"
