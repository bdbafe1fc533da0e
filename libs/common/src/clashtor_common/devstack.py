"""``make up``: the whole system on one machine with the embedded real parts.

Starts Tansu (Kafka protocol), SeaweedFS (S3) and the six services, each in its own
process, waits until every one is ready, prints where to open it, and on Ctrl-C
stops everything, leaving no process behind. State lives under ``./var/``.
Providers default to the local engines; ``DEEPGRAM_API_KEY``, ``OPENAI_API_KEY`` and
``STRIPE_API_KEY`` in the environment switch the real ones on.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from clashtor_common.embedded import SeaweedS3, TansuBroker, ensure_topics, free_port, is_free
from clashtor_common.webbuild import ensure_built

SERVICES = ("ingest", "transcribe", "score", "billing", "privacy", "gateway")
VAR = Path(os.environ.get("CLASHTOR_VAR", "var")).resolve()


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
        prefix + "LOG_JSON": "false",
    }
    if name == "gateway":
        env["GATEWAY_INSECURE_COOKIES"] = "true"
        for other, url in urls.items():
            if other != "gateway":
                env[f"GATEWAY_{other.upper()}_URL"] = url
    env.update(extra or {})
    return env


def launch(name: str, port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """One service as its own uvicorn process (own process group, so it can be stopped whole)."""
    log = open(log_path, "ab")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{name}.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )


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
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def main() -> int:
    (VAR / "log").mkdir(parents=True, exist_ok=True)
    (VAR / "db").mkdir(parents=True, exist_ok=True)
    broker = TansuBroker(
        port=9092 if is_free(9092) else free_port(), log_path=VAR / "log" / "tansu.log"
    )
    s3 = SeaweedS3(data_dir=VAR / "s3", log_path=VAR / "log" / "seaweedfs.log")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def shutdown(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nstopping Clashtor…", flush=True)
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs.values():
            stop_process(proc)
        s3.stop()
        broker.stop()
        (VAR / "devstack.json").unlink(missing_ok=True)
        print("stopped.", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        build_log = VAR / "log" / "web-build.log"
        print(f"building the web app if its sources changed (log: {build_log})…", flush=True)
        web_dir = ensure_built(log=build_log)
        print("starting Kafka-protocol broker (Tansu) and S3 (SeaweedFS)…", flush=True)
        broker.start()
        s3.start()
        asyncio.run(ensure_topics(broker.bootstrap))
        ports = {name: free_port() for name in SERVICES}
        ports["gateway"] = int(
            os.environ.get("CLASHTOR_PORT", 8080 if is_free(8080) else free_port())
        )
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        for name in SERVICES:
            env = service_env(
                name,
                kafka_bootstrap=broker.bootstrap,
                s3=s3,
                urls=urls,
                database_url=f"sqlite+aiosqlite:///{VAR / 'db' / name}.db",
                extra={"GATEWAY_WEB_DIR": str(web_dir)} if name == "gateway" else None,
            )
            procs[name] = launch(name, ports[name], env, VAR / "log" / f"{name}.log")
        print("starting services…", flush=True)
        wait_ready(urls, procs)
        (VAR / "devstack.json").write_text(
            json.dumps(
                {
                    "kafka_bootstrap": broker.bootstrap,
                    "s3_endpoint": s3.endpoint,
                    "services": urls,
                },
                indent=2,
            )
        )
        print(f"\nClashtor is up: open {urls['gateway']}  (API docs: {urls['gateway']}/docs)")
        print(
            f"logs in {VAR / 'log'}; ops: .venv/bin/clashtor-ops lag; Ctrl-C stops everything.",
            flush=True,
        )
        while all(p.poll() is None for p in procs.values()):
            time.sleep(0.5)
        dead = [n for n, p in procs.items() if p.poll() is not None]
        print(f"service exited: {', '.join(dead)}; see {VAR / 'log'}", flush=True)
        return 1
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"make up failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        shutdown()


if __name__ == "__main__":
    sys.exit(main())
