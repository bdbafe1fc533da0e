"""Fixtures shared by the privacy tests.

``seaweed`` is overridden here only to work around a port clash in
``clashtor_common.embedded.SeaweedS3``: recent ``weed`` builds also open an Iceberg
catalog (8181) and a Lance namespace (9101) on FIXED ports, so a second SeaweedFS on
the machine (another test session, ``make up``) dies at start. Until the embedded
launcher passes ``-s3.port.iceberg=0 -s3.port.lance=0`` itself, these tests add the two
flags. Remove this override once it does.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from clashtor_common import embedded

_EXTRA_WEED_FLAGS = ["-s3.port.iceberg=0", "-s3.port.lance=0"]
_real_popen = subprocess.Popen


def _popen_with_free_side_ports(args: Any, *a: Any, **kw: Any) -> subprocess.Popen[bytes]:
    if isinstance(args, list) and args and str(args[0]).endswith("weed") and "server" in args:
        args = [*args, *(f for f in _EXTRA_WEED_FLAGS if f not in args)]
    return _real_popen(args, *a, **kw)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[embedded.SeaweedS3]:
    base = tmp_path_factory.mktemp("privacy-seaweed")
    with mock.patch.object(embedded.subprocess, "Popen", _popen_with_free_side_ports):
        s3 = embedded.SeaweedS3(data_dir=base / "data", log_path=base / "weed.log").start()
    yield s3
    s3.stop()
