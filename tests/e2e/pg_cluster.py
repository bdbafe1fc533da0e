"""A PostgreSQL cluster of the test's own, in a temporary directory, so every byte it
writes (tables, indexes, TOAST, WAL) is a file the raw scan can read.

Configured as services/privacy/README.md asks of production, for what bounds how long a
destroyed key row lingers: ``wal_recycle = off`` (a removed WAL segment is deleted, not
renamed for reuse with its old contents), ``wal_keep_size = 0`` and no archive (in
production the archive keeps segments for its stated retention), ``full_page_writes`` on
as always. The server runs as the current user; when that is root (a container), as the
``postgres`` system user, which Debian's packages create.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from clashtor_common.embedded import free_port

BIN = Path(os.environ.get("CLASHTOR_PG_BIN", "/usr/lib/postgresql/15/bin"))

SETTINGS = {
    "wal_recycle": "off",
    "wal_keep_size": "0",
    "archive_mode": "off",
    "max_wal_size": "64MB",
    "min_wal_size": "32MB",
    "fsync": "off",  # a test cluster: durability is not what is tested
    "max_connections": "200",
    "unix_socket_directories": "''",
    "listen_addresses": "'127.0.0.1'",
}


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "pg_ctl").exists()


class PgCluster:
    def __init__(self) -> None:
        # its own directory under /tmp: the server user must reach it (pytest's is 0700)
        self.root = Path(tempfile.mkdtemp(prefix="clashtor-pg-"))
        self.data_dir = self.root / "pgdata"
        self.port = free_port()
        self._user: str | None = None

    def _run(self, *args: str) -> None:
        cmd = [str(a) for a in args]
        if self._user:  # root cannot run the server: become postgres
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> PgCluster:
        if os.geteuid() == 0:
            self._user = "postgres"
            owner = pwd.getpwnam(self._user)
            shutil.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(
            BIN / "initdb", "-D", self.data_dir, "-U", "postgres", "-A", "trust", "-E", "UTF8"
        )
        options = " ".join(f"-c {k}={v}" for k, v in SETTINGS.items())
        self._run(
            BIN / "pg_ctl", "-D", self.data_dir, "-l", self.root / "server.log", "-w",
            "-o", f"-p {self.port} {options}", "start",
        )  # fmt: skip
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, _workdir: Path, label: str) -> tuple[str, Callable[[], None]]:
        """``Stack``'s database factory: one database per service, dropped with the cluster."""
        name = label.lower()
        self._run(BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name), lambda: None

    def files(self) -> list[Path]:
        """Every file of the cluster: relations and their free space, TOAST, WAL, xact."""
        return [
            p for p in sorted(self.data_dir.rglob("*")) if p.is_file() and os.access(p, os.R_OK)
        ]

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(BIN / "pg_ctl", "-D", self.data_dir, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
