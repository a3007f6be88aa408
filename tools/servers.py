"""Real servers on loopback for tests, benchmarks and tools: gunicorn in a subprocess, bounded
waits. Dev-only (not in the wheel); imports nothing from the test package."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.stack import children_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The master builds the app, size budgets included (a few seconds of CPU), before it listens.
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stderr.read()}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base_url}/health", timeout=1) as response,
        ):
            if response.read().split(b"\n")[0] == b"ok":
                return
        time.sleep(0.1)
    raise RuntimeError(f"server at {base_url} did not answer /health within {timeout} s")


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes: the master's children."""
        return children_of(self.pid)


@contextlib.contextmanager
def gunicorn_server(
    env: dict[str, str],
    workers: int = 1,
    extra_args: tuple[str, ...] = (),
    python: str = sys.executable,
    app: str = "wsgi:app",
    cwd: Path = PROJECT_ROOT,
    inherit_env: bool = True,
) -> Iterator[RunningServer]:
    """Run ``gunicorn wsgi:app`` (or ``app`` with another Python, in another folder, with only
    ``env`` when ``inherit_env`` is off) on a free loopback port until the block ends."""
    port = free_port()
    command = [
        python, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--no-control-socket", *extra_args,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **env} if inherit_env else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, START_TIMEOUT_SECONDS)
        yield RunningServer(base_url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
