"""Schemas are migrated by an init container in production, never by the service itself."""

from __future__ import annotations

import pytest
from deploy_support import SERVICES, Manifests


@pytest.mark.parametrize("service", SERVICES)
def test_an_init_container_migrates_the_services_own_database_before_it_starts(
    overlay: Manifests, service: str
) -> None:
    spec = overlay.get("Deployment", service)["spec"]["template"]["spec"]
    (init,) = spec["initContainers"]
    (main,) = spec["containers"]
    assert init["image"] == main["image"], "the migrations ship in the service's image"
    assert init["command"] == ["python", "-m", "clashtor_common.migrate", "/app/migrations"]
    init_env = {e["name"]: e for e in init["env"]}
    main_env = {e["name"]: e for e in main["env"]}
    assert init_env["DATABASE_URL"]["value"] == main_env[f"{service.upper()}_DATABASE_URL"]["value"]
    for helper in ("PG_USERNAME", "PG_PASSWORD"):
        assert init_env[helper] == main_env[helper]
