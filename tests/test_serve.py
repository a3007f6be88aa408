"""``make serve`` (tools/serve.py) as a person runs it: it serves a screening over HTTPS,
starts a dead instance again, and SIGTERM stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.stack_clients import Visitor
from tools.stack import PROJECT_ROOT, alive, children_of, loopback_ports, missing_tools

pytestmark = pytest.mark.stack
START_SECONDS = 60
STOP_SECONDS = 40


def descendants(pid: int) -> set[int]:
    found, queue = set(), [pid]
    while queue:
        for child in children_of(queue.pop()):
            found.add(child)
            queue.append(child)
    return found


class Output:
    """The lines ``make serve`` prints, read on a thread so that no read blocks the test."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.1)
        return False


def test_make_serve_serves_restarts_an_instance_and_stops_everything_on_sigterm(tmp_path: Path):
    missing = missing_tools()
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"{' '.join(missing)} missing: .ci/run must install them", pytrace=False)
    if missing:
        pytest.skip(f"needs {' '.join(missing)}")
    https, http = loopback_ports(2)
    command = [sys.executable, "-m", "tools.serve", "--https-port", str(https)]
    command += ["--http-port", str(http), "--workdir", str(tmp_path)]
    serve = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started: set[int] = set()
    try:
        output = Output(serve)
        assert output.wait_for("Ctrl-C stops everything", START_SECONDS), output.lines
        assert f"Serving https://localhost:{https}" in "".join(output.lines)
        with Visitor(https) as visitor:
            statuses = [response.status for _, response in visitor.screening()]
        assert statuses == [200, 200, 200]
        # Logs, Caddy's CA key, the error pages: nothing make serve wrote is open to others.
        open_to_others = [
            path for path in [tmp_path, *tmp_path.rglob("*")] if path.lstat().st_mode & 0o077
        ]
        assert open_to_others == []

        started = descendants(serve.pid)
        gunicorn_masters = [pid for pid in children_of(serve.pid) if children_of(pid)]
        assert len(gunicorn_masters) >= 2  # two instances, each with its workers
        os.kill(gunicorn_masters[0], signal.SIGKILL)
        assert output.wait_for("had exited and was started again", 20), output.lines
        started |= descendants(serve.pid)

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=STOP_SECONDS) == 0
        output.thread.join(timeout=5)
        assert output.lines[-1].strip() == "Stopped."
        deadline = time.monotonic() + 20  # orphans of the killed master end when idle
        while any(alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in started if alive(pid)] == []
    finally:
        for pid in [serve.pid, *started]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        serve.wait(timeout=10)
        serve.stdout.close()
