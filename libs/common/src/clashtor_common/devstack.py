"""``make up``: the whole system on one machine with the embedded real parts, supervised.

Starts SeaweedFS (S3), Tansu (Kafka protocol, its log kept in a bucket of that S3 so
topics, events and offsets outlive a restart) and the seven services, each in its own
process, waits until every one is ready and prints where to open it. State lives
under ``./var/`` (or ``CLASHTOR_VAR``).

It supervises: a process that exits is restarted on the same port with backoff
(1 s doubling to 30 s, reset after a minute up) and the console says so; the rest of
the stack stays up. Every child gets ``PR_SET_PDEATHSIG``, so if this process dies,
even by SIGKILL, its children die with it. Ctrl-C or SIGTERM stops everything once;
repeated signals while stopping are ignored (make forwards a second TERM), so the
shutdown always completes. A stack already holding ``var/`` or a port is named with
its pid instead of a cryptic failure.

Providers default to the local engines; ``DEEPGRAM_API_KEY``, ``OPENAI_API_KEY`` and
``STRIPE_API_KEY`` in the environment switch the real ones on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from clashtor_common import certificates, devsecrets
from clashtor_common.embedded import (
    SeaweedS3,
    TansuBroker,
    die_with_parent,
    ensure_topics,
    free_port,
    is_free,
    listening_socket,
)
from clashtor_common.mailsink import SmtpSink
from clashtor_common.webbuild import ensure_built

SERVICES = ("ingest", "transcribe", "score", "billing", "privacy", "integrations", "gateway")
VAR = Path(os.environ.get("CLASHTOR_VAR", "var")).resolve()
RESTART_BACKOFF = (1.0, 30.0)
STABLE_AFTER = 60.0


KEY_PRODUCERS: dict[str, tuple[str, ...]] = {"transcribe": ("ingest",), "score": ("transcribe",)}
"""Whose internal API a service asks for the data keys its events name (``keyservice``)."""


def service_env(
    name: str,
    *,
    kafka_bootstrap: str,
    s3: SeaweedS3,
    urls: dict[str, str],
    database_url: str,
    environment: str = "development",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one service process (settings use the ``<NAME>_`` prefix)."""
    prefix = name.upper() + "_"
    env = {
        **os.environ,
        prefix + "ENVIRONMENT": environment,
        prefix + "KAFKA_BOOTSTRAP": kafka_bootstrap,
        prefix + "DATABASE_URL": database_url,
        prefix + "S3_ENDPOINT": s3.endpoint,
        prefix + "S3_ACCESS_KEY": s3.access_key,
        prefix + "S3_SECRET_KEY": s3.secret_key,
        prefix + "S3_BUCKET": f"clashtor-{name}",
        prefix + "S3_VACUUM_URL": f"http://127.0.0.1:{s3.master_port}",
        prefix + "LOG_JSON": "false",
    }
    if name == "gateway":
        env["GATEWAY_INSECURE_COOKIES"] = "true"
        for other, url in urls.items():
            if other != "gateway":
                env[f"GATEWAY_{other.upper()}_URL"] = url
    for producer in KEY_PRODUCERS.get(name, ()):  # the service it asks for data keys
        env[f"{prefix}{producer.upper()}_URL"] = urls[producer]
    if name == "integrations":
        # Zoom recordings are uploaded to ingest; links and Zoom's OAuth redirect name the
        # gateway (the web app's address).
        for var, service in (("INGEST_URL", "ingest"), ("PUBLIC_BASE_URL", "gateway")):
            if service in urls:
                env[f"INTEGRATIONS_{var}"] = urls[service]
    env.update(extra or {})
    return env


def ensure_certificate_key(var: Path) -> str:
    """The stack's certificate signing key: generated once into ``var/secrets/`` (owner
    only), its public half beside it for ``clashtor-ops verify-certificate``."""
    private = var / certificates.SIGNING_KEY_FILE
    if not private.exists():
        private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(certificates.generate_signing_key())
    key = private.read_text().strip()
    public = certificates.CertificateSigner.from_config(key).public_document()
    (var / certificates.PUBLIC_KEY_FILE).write_text(json.dumps(public, indent=2))
    return key


def launch(
    name: str,
    port: int,
    env: dict[str, str],
    log_path: Path,
    *,
    with_parent: bool = False,
    sock: socket.socket | None = None,
) -> subprocess.Popen[bytes]:
    """One service as its own uvicorn process (own process group, so it can be stopped whole).

    The service listens on ``sock`` (bound to ``port`` by the caller ahead of time), or on
    a socket bound to ``port`` here: either way bound before the process starts, so the
    port stays the service's while it loads. This process closes its copy once the
    child has it: when the service stops, the port is closed, not left queuing.
    ``with_parent``: the process is killed when the one that launched it dies.
    ``<NAME>_WORKERS`` in ``env`` (1 unless set; more only on PostgreSQL): that many
    processes serve the port (``serve_socket``), all in the process group that
    ``stop_process`` stops. The socket is bound shared (``SO_REUSEPORT``; pass ``sock``
    bound that way too): each worker then listens with its own, and the kernel spreads
    connections across them.
    """
    prefix = name.upper() + "_"
    workers = int(env.get(prefix + "WORKERS", "1"))
    if workers > 1 and env.get(prefix + "METRICS_PORT"):
        raise ValueError(f"{name}: one metrics port cannot serve {workers} workers")
    if workers > 1 and not env.get(prefix + "DATABASE_URL", "").startswith("postgresql"):
        # SQLite has no migration lock and no FOR UPDATE for the outbox relays
        raise ValueError(f"{name}: {workers} workers need PostgreSQL")
    listener = sock or listening_socket(port, shared=True)
    log = open(log_path, "ab")  # noqa: SIM115
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clashtor_common.serve_socket",
                str(listener.fileno()),
                f"{name}.main:create_app",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=log,
            pass_fds=(listener.fileno(),),
            start_new_session=True,
            preexec_fn=die_with_parent if with_parent else None,
        )
    finally:
        listener.close()
        log.close()


def wait_ready(
    urls: dict[str, str],
    procs: dict[str, subprocess.Popen[bytes]],
    timeout: float = 180,
    quiet: bool = False,
) -> None:
    """Poll every ``/readyz`` until 200; fail fast if a process dies."""
    deadline = time.monotonic() + timeout
    pending = dict(urls)
    with httpx.Client(timeout=2) as client:
        while pending:
            for name, url in list(pending.items()):
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited before it was ready (see its log)")
                try:
                    if client.get(f"{url}/readyz").status_code == 200:
                        if not quiet:
                            print(f"  {name:<11} ready at {url}", flush=True)
                        del pending[name]
                except httpx.TransportError:
                    pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {', '.join(pending)}")
            time.sleep(0.3)


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 10
) -> None:
    if proc.poll() is not None:
        # The first process is gone (killed alone): workers it forked die with it, but
        # hold the port until they have; end them and wait, so a restart can bind it.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        wait_group_gone(proc.pid, timeout=5)
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass
    wait_group_gone(proc.pid, timeout=5)


def stop_processes(procs: Sequence[subprocess.Popen[bytes] | None]) -> None:
    """``stop_process`` for several at once: each gets SIGTERM first, so their shutdowns
    overlap instead of queuing one behind the other."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    for proc in procs:
        if proc is not None:
            stop_process(proc)


def wait_group_gone(pgid: int, timeout: float) -> None:
    """Until no process of the group is left (or ``timeout``): a service's forked workers
    killed with it hold its port until they are gone, and a restart binds it again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


# -- a stale stack ------------------------------------------------------------------------


class StaleStack(RuntimeError):
    """Another stack (or what it left behind) holds ``var/`` or a port."""


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(pid: int) -> str:
    import psutil

    try:
        return " ".join(psutil.Process(pid).cmdline())[:160]
    except psutil.Error:
        return "?"


def check_not_running(var: Path, ports: dict[str, int]) -> None:
    """Refuse to start over a live stack; name its pid and what it holds."""
    import psutil

    pidfile = var / "devstack.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text().strip() or 0)
        if pid and pid != os.getpid() and _alive(pid):
            raise StaleStack(
                f"a Clashtor stack (pid {pid}) is already running on {var}; "
                f"stop it first (Ctrl-C in its terminal, or kill {pid})"
            )
    state = var / "devstack.json"
    if state.exists():
        try:
            children = json.loads(state.read_text()).get("pids", {})
        except ValueError:
            children = {}
        left = {name: pid for name, pid in children.items() if _alive(int(pid))}
        if left:
            names = ", ".join(f"{n} (pid {p})" for n, p in left.items())
            raise StaleStack(
                f"processes of an earlier stack still run: {names}; "
                f"stop them first: kill {' '.join(str(p) for p in left.values())}"
            )
    holders = [
        p
        for p in psutil.process_iter(["pid", "cmdline"])
        if any(f"-dir={var / 's3'}" == arg for arg in (p.info.get("cmdline") or []))
    ]
    if holders:
        p = holders[0]
        raise StaleStack(
            f"SeaweedFS (pid {p.pid}) of an earlier stack still holds {var / 's3'}; "
            f"stop it first: kill {p.pid}"
        )
    for name, port in ports.items():
        if not is_free(port):
            raise StaleStack(f"port {port} wanted for {name} is taken by {_port_holder(port)}")


def _port_holder(port: int) -> str:
    import psutil

    try:
        for conn in psutil.net_connections("tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == "LISTEN" and conn.pid:
                return f"pid {conn.pid} ({_describe(conn.pid)})"
    except psutil.Error:
        pass
    return "another process"


# -- supervision --------------------------------------------------------------------------


@dataclass
class Supervised:
    """One child the stack keeps running: how to start it, and its restart backoff."""

    name: str
    start: Callable[[], subprocess.Popen[bytes] | None]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = RESTART_BACKOFF[0]
    due: float | None = None

    def run(self) -> None:
        self.proc = self.start()
        self.started_at = time.monotonic()
        self.due = None

    def check(self, say: Callable[[str], None]) -> None:
        """Restart the child if it exited, after its backoff."""
        now = time.monotonic()
        if self.proc is not None and self.proc.poll() is None:
            if now - self.started_at > STABLE_AFTER:
                self.backoff = RESTART_BACKOFF[0]
            return
        if self.due is None:
            code = self.proc.returncode if self.proc is not None else "?"
            self.due = now + self.backoff
            say(f"{self.name} exited (code {code}); restarting in {self.backoff:.0f}s")
            self.backoff = min(self.backoff * 2, RESTART_BACKOFF[1])
            return
        if now >= self.due:
            self.restarts += 1
            try:
                self.run()
                say(f"{self.name} restarted (pid {self.pid}, restart #{self.restarts})")
            except Exception as exc:
                self.proc = None
                self.due = None
                say(f"{self.name} failed to restart: {exc}")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


@dataclass
class DevStack:
    var: Path
    gateway_port: int | None = None
    children: dict[str, Supervised] = field(default_factory=dict)
    stopping: bool = False
    web_dir: Path | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    listeners: dict[str, socket.socket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.var.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
        self.log_dir = self.var / "log"
        self.mail = SmtpSink(maildir=self.var / "mail")
        self.s3 = SeaweedS3(
            data_dir=self.var / "s3", log_path=self.log_dir / "seaweedfs.log", die_with_parent=True
        )
        self.ports = self._ports()
        self.broker = TansuBroker(
            port=self.ports["broker"],
            log_path=self.log_dir / "tansu.log",
            storage=self.s3,
            die_with_parent=True,
        )

    def _ports(self) -> dict[str, int]:
        """The ports of the last run when free (addresses stay the same), else new ones."""
        remembered = self.var / "ports.json"
        ports: dict[str, int] = {}
        if remembered.exists():
            try:
                ports = {k: int(v) for k, v in json.loads(remembered.read_text()).items()}
            except ValueError:
                ports = {}
        wanted = {"broker": 9092, "gateway": self.gateway_port or 8080}
        for name in ("broker", *SERVICES):
            if self.gateway_port and name == "gateway":
                ports[name] = self.gateway_port
            elif name not in ports or not is_free(ports[name]):
                default = wanted.get(name)
                ports[name] = default if default and is_free(default) else free_port()
        return ports

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{self.ports[name]}" for name in SERVICES}

    def database_url(self, name: str) -> str:
        return f"sqlite+aiosqlite:///{self.var / 'db' / name}.db"

    def _start_service(self, name: str) -> subprocess.Popen[bytes]:
        extra = devsecrets.service_secrets(self.secrets, name)
        if name == "gateway":
            extra |= {
                "GATEWAY_PUBLIC_URL": self.urls["gateway"],
                "GATEWAY_SMTP_HOST": "127.0.0.1",
                "GATEWAY_SMTP_PORT": str(self.mail.port),
            }
            if self.web_dir:
                extra["GATEWAY_WEB_DIR"] = str(self.web_dir)
        if name == "integrations":
            extra |= {
                "INTEGRATIONS_PUBLIC_BASE_URL": self.urls["gateway"],
                # A developer's own webhook receiver runs on this machine.
                "INTEGRATIONS_WEBHOOK_ALLOWED_NETWORKS": '["127.0.0.1/32", "::1/128"]',
            }
        if name == "privacy":
            extra["PRIVACY_CERTIFICATE_SIGNING_KEY"] = ensure_certificate_key(self.var)
        env = service_env(
            name,
            kafka_bootstrap=self.broker.bootstrap,
            s3=self.s3,
            urls=self.urls,
            database_url=self.database_url(name),
            extra=extra,
        )
        return launch(
            name,
            self.ports[name],
            env,
            self.log_dir / f"{name}.log",
            with_parent=True,
            sock=self.listeners.pop(name, None),  # a restart binds the port anew
        )

    def _start_s3(self) -> subprocess.Popen[bytes] | None:
        return self.s3.start().proc

    def _start_broker(self) -> subprocess.Popen[bytes] | None:
        return self.broker.start().proc

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        (self.var / "db").mkdir(parents=True, exist_ok=True)
        check_not_running(self.var, {k: v for k, v in self.ports.items() if k != "broker"})
        if not is_free(self.ports["broker"]):
            raise StaleStack(
                f"port {self.ports['broker']} wanted for the broker is taken by "
                f"{_port_holder(self.ports['broker'])}"
            )
        # Each service's port is bound now and handed to its process at launch: nothing
        # else on the machine can take it during the web build and the services' loading.
        self.listeners = {
            name: listening_socket(self.ports[name], shared=True) for name in SERVICES
        }
        (self.var / "devstack.pid").write_text(str(os.getpid()))
        (self.var / "ports.json").write_text(json.dumps(self.ports, indent=2))
        build_log = self.log_dir / "web-build.log"
        print(f"building the web app if its sources changed (log: {build_log})…", flush=True)
        self.web_dir = ensure_built(log=build_log)
        # Our own secrets, drawn on first start (the code's development ones are public).
        self.secrets = devsecrets.load_or_create(self.var, SERVICES)
        self.mail.start()
        print("starting S3 (SeaweedFS) and the durable Kafka-protocol broker (Tansu)…", flush=True)
        for name, starter in (("s3", self._start_s3), ("broker", self._start_broker)):
            self.children[name] = Supervised(name, starter)
            self.children[name].run()
        asyncio.run(ensure_topics(self.broker.bootstrap))
        print("starting services…", flush=True)
        for name in SERVICES:
            self.children[name] = Supervised(name, lambda n=name: self._start_service(n))  # type: ignore[misc]
            self.children[name].run()
        self.write_state()
        procs = {n: c.proc for n, c in self.children.items() if c.proc is not None}
        wait_ready(self.urls, procs)  # type: ignore[arg-type]

    def write_state(self) -> None:
        state = {
            "pid": os.getpid(),
            "kafka_bootstrap": self.broker.bootstrap,
            "s3_endpoint": self.s3.endpoint,
            "services": self.urls,
            "databases": {name: self.database_url(name) for name in SERVICES},
            "pids": {n: c.pid for n, c in self.children.items() if c.pid},
        }
        (self.var / "devstack.json").write_text(json.dumps(state, indent=2))

    def supervise(self) -> None:
        """Keep every child running until a signal stops the stack."""
        while not self.stopping:
            for child in self.children.values():
                before = child.pid
                child.check(_say)
                if child.pid != before:
                    self.write_state()
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop everything; safe to call twice, and not interrupted by further signals."""
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        self.stopping = True
        print("\nstopping Clashtor…", flush=True)
        stop_processes([self.children[n].proc for n in SERVICES if n in self.children])
        self.broker.proc = self.children["broker"].proc if "broker" in self.children else None
        self.broker.stop()
        self.s3.proc = self.children["s3"].proc if "s3" in self.children else None
        self.s3.stop()
        self.mail.stop()
        for listener in self.listeners.values():  # services that never started
            listener.close()
        (self.var / "devstack.json").unlink(missing_ok=True)
        pidfile = self.var / "devstack.pid"
        if pidfile.exists() and pidfile.read_text().strip() == str(os.getpid()):
            pidfile.unlink()
        print("stopped.", flush=True)


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class _Stop(BaseException):
    """Raised once, by the first stop signal, to leave whatever the main thread does."""


def main() -> int:
    gateway_port = os.environ.get("CLASHTOR_PORT")
    stack = DevStack(VAR, gateway_port=int(gateway_port) if gateway_port else None)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stack.stopping:
            return  # already stopping: a repeated Ctrl-C or make's second TERM changes nothing
        stack.stopping = True
        raise _Stop(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        stack.start()
        urls = stack.urls
        print(f"\nClashtor is up: open {urls['gateway']}  (API docs: {urls['gateway']}/docs)")
        print(
            f"logs in {VAR / 'log'}; ops: .venv/bin/clashtor-ops lag; Ctrl-C stops everything.",
            flush=True,
        )
        print(
            f"mail (invitations, email confirmations) is caught, not sent: Maildir {VAR / 'mail'},"
            f" links also in the gateway log; this stack's secrets: {VAR / devsecrets.FILE}",
            flush=True,
        )
        stack.supervise()
        return 0
    except _Stop:
        return 0
    except StaleStack as exc:
        print(f"make up: {exc}", file=sys.stderr, flush=True)
        return 2
    except (RuntimeError, TimeoutError) as exc:
        print(f"make up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stopping = True
        if stack.children:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
