"""gunicorn settings for production: ``gunicorn -c deploy/gunicorn.conf.py`` from the project root.

Everything that differs between machines comes from the environment:

- ``GUNICORN_BIND``: where to listen (default ``127.0.0.1:8000``; only the proxy talks to it).
- ``GUNICORN_WORKERS``: sync workers (default: 2 per CPU core plus one).
- ``SCREENING_TRUSTED_PROXIES`` and ``SCREENING_PROXY_ADDRESSES``: the app's own settings; when
  the first is above 0, gunicorn also trusts ``X-Forwarded-*`` from the second (default:
  loopback, where Caddy runs), and from nobody otherwise, so gunicorn and the app trust the same
  proxies.
"""

from __future__ import annotations

import os

wsgi_app = "wsgi:app"
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"

# Load the app once in the master: workers fork from it in milliseconds, so a `kill -HUP`
# (new workers, old ones finish their requests) leaves no gap while each worker imports the app.
# HUP then reloads this file but not the code: restart the instances one at a time for that.
preload_app = True

# A PDF takes about 15 ms; a worker stuck for 30 s is killed and replaced. Caddy reads slow
# clients' requests in full before a worker sees them, so no worker waits on a client.
timeout = 30
graceful_timeout = 20
keepalive = 5

# Two instances on one host must not share gunicorn's default control socket path.
control_socket_disable = True

_trusted_proxies = int(os.environ.get("SCREENING_TRUSTED_PROXIES") or 0)
_proxy_addresses = os.environ.get("SCREENING_PROXY_ADDRESSES") or "127.0.0.1,::1"
forwarded_allow_ips = _proxy_addresses.replace(" ", "") if _trusted_proxies > 0 else ""

# Access log on stdout: address, time, method, path without the query string, status and
# duration. No byte counts (the size of a result could hint at it), no bodies, no query
# strings, no referrer, so no answer or result code can reach a log line.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(M)sms'
