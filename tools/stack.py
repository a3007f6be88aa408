"""The production stack on this machine: Redis, gunicorn instances and Caddy, as child processes.

``make serve`` (tools/serve.py) and the stack tests (tests/test_stack.py) both run it, with the
files a real deployment uses: ``deploy/Caddyfile`` and ``deploy/gunicorn.conf.py``. Everything
listens on loopback only; each process is started here, remembered by its pid, and stopped by
that pid (gunicorn workers orphaned by a killed master too).

The app instances' listening sockets are opened here and handed to gunicorn as systemd does
(tools/listen_fds.py; deploy/systemd/ in production). They outlive the instance: connections
that arrive while an instance is dead or restarting wait in the socket's queue and are served
when it is back, rather than reset half-way through a POST that the proxy cannot safely resend.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
LOOPBACK = "127.0.0.1"
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15
# Shown in every page footer and on the PDF, so nobody can take it for a real permission.
PLACEHOLDER_PERMISSION = (
    "PLACEHOLDER: no RCPsych permission recorded (local test stack, not for patients)"
)
# The local stack's staff sign-in (production requires one): a password everybody knows, so the
# stack is for testing only; a deployment makes its own with `python -m screening.staff`.
PLACEHOLDER_STAFF_PASSWORD = "local stack staff password"
PLACEHOLDER_STAFF_PASSWORD_HASH = (
    "scrypt:32768:8:1$ovrODZv0A6rUmydj$d1700a394293650d745818e25f3c5f404b6d12937a47d4b8f3f117cd9"
    "4c3649314e39eadb01aa9fc7a695498a4dc6f48e30298b96f89625df48e939b22e5bd62"
)
STOP_ORDER = ("caddy", "app", "redis")
LISTEN_BACKLOG = 2048  # gunicorn's own default
SERVICES = {"caddy": "caddy", "redis-server": "redis-server"}


def missing_tools() -> list[str]:
    """The Debian packages whose programs the stack needs and this machine lacks."""
    return [package for package, program in SERVICES.items() if shutil.which(program) is None]


def unverified_tls() -> ssl.SSLContext:
    """For Caddy's ``tls internal`` certificate on loopback, which no trust store knows."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when this process's parent dies. Run in each child before
    exec (the launcher died), and by ``make serve``'s launcher itself (make was killed, and
    make does not pass a SIGTERM on to its children)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (gunicorn's workers), found through /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces; the parent pid is 2nd after its ')'.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is no longer running.
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    return False


def wait_for(ready: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} while starting")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within {START_TIMEOUT_SECONDS} s")


def health_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    with urllib.request.urlopen(f"{url}/health", timeout=2, context=context) as response:
        return response.read() == b"ok"


def redis_ok(port: int) -> bool:
    with socket.create_connection((LOOPBACK, port), timeout=2) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(16).startswith(b"+PONG")


@dataclass
class Ports:
    https: int
    http: int
    redis: int
    apps: tuple[int, ...]


@dataclass
class Stack:
    """Redis, ``len(ports.apps)`` gunicorn instances and Caddy in front; see start()."""

    ports: Ports
    workdir: Path
    workers: int = 2
    settings: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    listeners: dict[int, socket.socket] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.ports.https}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.ports.http}"

    def app_url(self, index: int) -> str:
        return f"http://{LOOPBACK}:{self.ports.apps[index]}"

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def app_env(self) -> dict[str, str]:
        """Production settings (not development), one key for every instance, limits in Redis."""
        env = {
            "SCREENING_EPDS_PERMISSION": PLACEHOLDER_PERMISSION,
            "SCREENING_STAFF_PASSWORD_HASH": PLACEHOLDER_STAFF_PASSWORD_HASH,
            "SCREENING_TRUSTED_PROXIES": "1",
            "SCREENING_RATELIMIT_STORAGE_URI": f"redis://{LOOPBACK}:{self.ports.redis}/0",
            "SCREENING_INSTANCE_PATH": str(self.workdir / "instance"),
            "GUNICORN_WORKERS": str(self.workers),
        }
        return env | self.settings

    def listener(self, index: int) -> socket.socket:
        """The listening socket of app instance ``index``, opened once for the stack's life."""
        if index not in self.listeners:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((LOOPBACK, self.ports.apps[index]))
            listener.listen(LISTEN_BACKLOG)
            self.listeners[index] = listener
        return self.listeners[index]

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()
    ) -> subprocess.Popen:
        self.log(name).parent.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as log:
            process = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the launcher, which stops us in order
                preexec_fn=die_with_parent,
                pass_fds=pass_fds,
            )
        self.processes[name] = process
        return process

    def start(self) -> Stack:
        self.settings.setdefault("SCREENING_SECRET_KEY", secrets.token_hex(32))
        self.start_redis()
        for index in range(len(self.ports.apps)):
            self.start_app(index)
        self.start_caddy()
        return self

    def start_redis(self) -> None:
        command = [
            "redis-server", "--bind", LOOPBACK, "--port", str(self.ports.redis),
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
            "--protected-mode", "yes", "--daemonize", "no",
        ]  # fmt: skip
        process = self._spawn("redis", command, {})
        wait_for(lambda: redis_ok(self.ports.redis), process, "Redis")

    def start_app(self, index: int) -> None:
        """One gunicorn instance from deploy/gunicorn.conf.py on its loopback port."""
        name = f"app-{index + 1}"
        env = self.app_env() | {"GUNICORN_BIND": f"{LOOPBACK}:{self.ports.apps[index]}"}
        socket_fd = self.listener(index).fileno()
        command = [
            sys.executable, "-m", "tools.listen_fds", str(socket_fd),
            sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
        ]  # fmt: skip
        process = self._spawn(name, command, env, pass_fds=(socket_fd,))
        wait_for(lambda: health_ok(self.app_url(index)), process, f"gunicorn {name}")

    def start_caddy(self) -> None:
        caddy_home = self.workdir / "caddy"
        env = {
            "SITE_HOST": "localhost",
            "HTTPS_PORT": str(self.ports.https),
            "HTTP_PORT": str(self.ports.http),
            "CADDY_TLS": "internal",
            "CADDY_BIND": LOOPBACK,
            "CADDY_ADMIN": "off",
            "APP_UPSTREAMS": " ".join(f"{LOOPBACK}:{port}" for port in self.ports.apps),
            "APP_WORKERS": str(self.workers),
            # Caddy's local CA and certificates live with the stack, not in the user's home.
            "XDG_DATA_HOME": str(caddy_home / "data"),
            "XDG_CONFIG_HOME": str(caddy_home / "config"),
        }
        command = ["caddy", "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"]
        process = self._spawn("caddy", command, env)
        wait_for(lambda: health_ok(self.url, unverified_tls()), process, "Caddy")

    def restart_exited_apps(self) -> list[str]:
        """Start again every app instance that has exited, as systemd's Restart=always does."""
        restarted = []
        for index in range(len(self.ports.apps)):
            name = f"app-{index + 1}"
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                self.start_app(index)
                restarted.append(name)
        return restarted

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def kill(self, name: str, sig: signal.Signals = signal.SIGTERM) -> None:
        """Send ``sig`` to one process and wait for it to end (gunicorn: its workers as well).
        The stack then forgets it, as ``systemctl stop`` would: ``restart_exited_apps()``
        leaves it stopped, and ``start_app()`` starts it again."""
        process = self.processes.pop(name)
        workers = children_of(process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # A master killed outright leaves its workers running until they notice; stop them.
        for worker in workers:
            self.stop_pid(worker)

    def stop_pid(self, pid: int) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Caddy first (no new requests), then the app instances, then Redis."""
        for name in sorted(self.processes, key=lambda name: STOP_ORDER.index(name.split("-")[0])):
            self.kill(name)
        for listener in self.listeners.values():
            listener.close()
        self.listeners.clear()


def loopback_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (every probe stays bound until all are found)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind((LOOPBACK, 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@contextlib.contextmanager
def running_stack(
    workdir: Path,
    ports: Ports | None = None,
    settings: dict[str, str] | None = None,
    workers: int = 2,
) -> Iterator[Stack]:
    """The whole stack on free loopback ports (or the given ones), ``workers`` per instance,
    until the block ends."""
    if ports is None:
        https, http, redis, *apps = loopback_ports(5)
        ports = Ports(https=https, http=http, redis=redis, apps=tuple(apps))
    stack = Stack(ports=ports, workdir=workdir, workers=workers, settings=dict(settings or {}))
    try:
        yield stack.start()
    finally:
        stack.stop()
