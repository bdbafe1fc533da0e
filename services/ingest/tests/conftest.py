"""Fixtures shared by the ingest tests.

``seaweed`` overrides the plugin's fixture of the same name for these tests only:
SeaweedFS 4 also opens an Iceberg catalog (8181) and a Lance namespace (9101) on fixed
ports, so a second test session on the machine (other services' suites run in
parallel) cannot start its S3. This variant turns both listeners off. Drop it once
``clashtor_common.embedded.SeaweedS3`` passes ``-s3.port.iceberg=0 -s3.port.lance=0``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from clashtor_common.embedded import SeaweedS3, free_port_below, wait_for_port, weed_binary


class IsolatedSeaweedS3(SeaweedS3):
    """SeaweedFS on free ports only (no fixed-port side listeners)."""

    def start(self) -> IsolatedSeaweedS3:
        assert self.data_dir is not None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ports = [free_port_below() for _ in range(4)]
        while len(set(ports)) < 4 or any(p + 10000 in ports for p in ports):
            ports = [free_port_below() for _ in range(4)]
        master, volume, filer, s3 = ports
        self.s3_port = s3
        config = self.data_dir / "s3.json"
        identity = {
            "name": "clashtor",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
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


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedS3]:
    base = tmp_path_factory.mktemp("seaweed")
    s3 = IsolatedSeaweedS3(data_dir=base / "data", log_path=base / "weed.log").start()
    yield s3
    s3.stop()
