"""The whole system for end-to-end tests: the service processes on a broker, S3 and databases.

Each test session gets its own Tansu broker and SeaweedFS (isolated from the
integration tests' ones) and a fresh PostgreSQL database per service (SQLite when
PostgreSQL is not there). Transcription runs on ``FAST_TRANSCRIPTION``: these tests are
about the system, not the model (Whisper base's accuracy is
``services/transcribe/tests/integration/test_whisper_engine.py``'s).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clashtor_common.devstack import (
    SERVICES,
    launch,
    service_env,
    stop_process,
    stop_processes,
    wait_ready,
)
from clashtor_common.embedded import SeaweedS3, TansuBroker, ensure_topics, listening_socket
from clashtor_common.mailsink import SmtpSink
from clashtor_common.testing.kafka import fast_group_join_env
from clashtor_common.testing.plugin import create_database

FAST_TRANSCRIPTION = {
    "TRANSCRIBE_WHISPER_MODEL_NAME": "tiny.en",
    "TRANSCRIBE_WHISPER_BEAM_SIZE": "1",
}
"""The packaged English model with greedy decoding: about four times faster than the
default (base, beam 5) on the test calls, and word-perfect on them."""


@dataclass
class Stack:
    workdir: Path
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)
    common_env: dict[str, str] = field(default_factory=dict)
    """Environment every service gets (the OTLP endpoint the test receiver listens on)."""
    broker: TansuBroker | None = None
    s3: SeaweedS3 | None = None
    mail: SmtpSink | None = None
    """The SMTP sink the gateway sends through; tests read invitations and links here."""
    ports: dict[str, int] = field(default_factory=dict)
    database_urls: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    databases: Callable[[Path, str], tuple[str, Callable[[], None]]] = create_database
    """Makes each service's database: ``(workdir, label) -> (url, cleanup)``."""
    _cleanups: list[Callable[[], None]] = field(default_factory=list)
    _listeners: dict[str, socket.socket] = field(default_factory=dict)
    """Each service's socket from the moment its port is chosen until its launch."""

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    @property
    def kafka_bootstrap(self) -> str:
        assert self.broker
        return self.broker.bootstrap

    def start(self) -> Stack:
        """Start every part and wait until each service is ready; a failed start stops
        what it started (a fixture that raises before its ``yield`` never tears down)."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Stack:
        (self.workdir / "log").mkdir(parents=True, exist_ok=True)
        self.broker = TansuBroker(log_path=self.workdir / "log" / "tansu.log").start()
        self.s3 = SeaweedS3(
            data_dir=self.workdir / "s3", log_path=self.workdir / "log" / "s3.log"
        ).start()
        asyncio.run(ensure_topics(self.broker.bootstrap))
        self.mail = SmtpSink(maildir=self.workdir / "mail").start()
        for name in SERVICES:
            url, cleanup = self.databases(self.workdir, f"e2e_{name}")
            self.database_urls[name] = url
            self._cleanups.append(cleanup)
            # the port is held from now on; shared: each of a service's workers listens on it
            self._listeners[name] = listening_socket(shared=True)
            self.ports[name] = self._listeners[name].getsockname()[1]
        for name in SERVICES:
            self.start_service(name, wait=False)
        wait_ready(self.urls, self.procs, timeout=240, quiet=True)
        return self

    def env(self, name: str) -> dict[str, str]:
        assert self.broker and self.s3 and self.mail
        mail = {"GATEWAY_SMTP_HOST": "127.0.0.1", "GATEWAY_SMTP_PORT": str(self.mail.port)}
        return service_env(
            name,
            kafka_bootstrap=self.broker.bootstrap,
            s3=self.s3,
            urls=self.urls,
            database_url=self.database_urls[name],
            environment="test",
            extra={
                f"{name.upper()}_CONSUMER_BACKOFF_SECONDS": "0.1",
                f"{name.upper()}_LOG_JSON": "true",
                **fast_group_join_env(name),
                **self.common_env,
                **(FAST_TRANSCRIPTION if name == "transcribe" else {}),
                **(mail if name == "gateway" else {}),
                **self.extra_env.get(name, {}),
            },
        )

    def start_service(self, name: str, wait: bool = True) -> None:
        self.procs[name] = launch(
            name,
            self.ports[name],
            self.env(name),
            self.workdir / "log" / f"{name}.log",
            sock=self._listeners.pop(name, None),  # a restart binds the port again
        )
        if wait:
            wait_ready({name: self.urls[name]}, {name: self.procs[name]}, timeout=120, quiet=True)

    def stop_service(self, name: str) -> None:
        stop_process(self.procs[name])

    @property
    def bootstrap(self) -> str:
        """As ``tests/faults`` checks call it."""
        return self.kafka_bootstrap

    def count_rows(self, service: str, table: str, call_id: str) -> int:
        """Rows of ``table`` in ``service``'s database about ``call_id``."""
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        async def count() -> int:
            engine = create_async_engine(self.database_urls[service])
            try:
                async with engine.connect() as conn:
                    query = text(f"SELECT count(*) FROM {table} WHERE call_id = :id")
                    return int((await conn.execute(query, {"id": call_id})).scalar_one())
            finally:
                await engine.dispose()

        return asyncio.run(count())

    def wait_consumed(self, timeout: float = 180) -> None:
        """Until every service's consumer group has committed up to the end of every
        partition it reads (what was published before this call has been handled)."""
        from clashtor_common.ops.replay import consumer_lag
        from clashtor_common.testing.waiting import wait_until

        async def caught_up() -> bool:
            lags = await consumer_lag(self.kafka_bootstrap)
            return all(row.lag == 0 for row in lags if row.group in SERVICES)

        asyncio.run(wait_until(caught_up, timeout=timeout, every=0.5))

    def log(self, name: str) -> str:
        return (self.workdir / "log" / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        stop_processes(list(self.procs.values()))
        for listener in self._listeners.values():  # a start that failed before launching
            listener.close()
        if self.mail:
            self.mail.stop()
        if self.s3:
            self.s3.kill()  # its data is thrown away; weed takes ~25 s to obey SIGINT
        if self.broker:
            self.broker.stop()
        for cleanup in self._cleanups:
            cleanup()
