"""The environment a pod gets is the environment its service's Settings read.

Each service's settings refuse unknown variables silently (``extra="ignore"``), so a misspelled or
stale variable in a manifest would be dropped without a word and the service would fall back to a
development default. Here every variable a Deployment sets must be a field of that service's
Settings, and every secret field without a safe default must be fed from a Secret.

``AHEAD_OF_CODE`` lists the variables the manifests already set for settings the code does not
read yet (Kafka over TLS + SCRAM, provider keys). It is compared for equality, so adding the field
to the code makes this test ask for the entry to be removed.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from deploy_support import SERVICES, Manifests
from pydantic import AliasChoices, SecretStr
from pydantic_settings import BaseSettings

AHEAD_OF_CODE: dict[str, set[str]] = {service: set() for service in SERVICES}
# Helpers the manifests use to build other values ($(PG_PASSWORD) in the database URL, ...).
HELPERS = {"PG_USERNAME", "PG_PASSWORD", "PUBLIC_URL"}


def settings_class(service: str) -> type[BaseSettings]:
    module = importlib.import_module(f"{service}.settings")
    found = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, BaseSettings) and c.__module__ == module.__name__
    ]
    assert len(found) == 1, f"{service}.settings should define one Settings class, has {found}"
    return found[0]


def env_names(cls: type[BaseSettings]) -> dict[str, str]:
    """Environment variable -> field name, as pydantic-settings reads them."""
    prefix = cls.model_config.get("env_prefix", "")
    names: dict[str, str] = {}
    for field, info in cls.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({str(choice).upper(): field for choice in alias.choices})
        elif isinstance(alias, str):
            names[alias.upper()] = field
        else:
            names[f"{prefix}{field}".upper()] = field
    return names


def provided(m: Manifests, service: str) -> dict[str, dict]:
    """Every variable the service's container gets: env entries and envFrom ConfigMap keys."""
    (c,) = m.get("Deployment", service)["spec"]["template"]["spec"]["containers"]
    out = {e["name"]: e for e in c.get("env", [])}
    for source in c.get("envFrom", []):
        config = m.get("ConfigMap", source["configMapRef"]["name"])
        for key in config["data"]:
            out[f"{source.get('prefix', '')}{key}"] = {"name": key, "from": "configMap"}
    return out


def is_required_secret(annotation: object) -> bool:
    """SecretStr, not SecretStr | None (None means: that integration is simply off)."""
    return annotation is SecretStr


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_set_is_one_the_service_reads(overlay: Manifests, service: str) -> None:
    known = env_names(settings_class(service))
    # OTEL_* are the OpenTelemetry SDK's own standard variables (clashtor_common.telemetry).
    sdk = {name for name in provided(overlay, service) if name.startswith("OTEL_")}
    unknown = set(provided(overlay, service)) - set(known) - HELPERS - sdk
    assert unknown == AHEAD_OF_CODE[service], (
        f"unknown to {service}.settings: {sorted(unknown - AHEAD_OF_CODE[service])}; "
        f"now read by the code (drop from AHEAD_OF_CODE): {sorted(AHEAD_OF_CODE[service] - unknown)}"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_secret_setting_comes_from_a_secret(overlay: Manifests, service: str) -> None:
    cls = settings_class(service)
    env = provided(overlay, service)
    for variable, field in env_names(cls).items():
        if not is_required_secret(cls.model_fields[field].annotation):
            continue
        if variable.startswith(service.upper() + "_"):
            entry = env.get(variable)
            assert entry is not None, f"{variable} is not set: the dev default would be used"
            assert "secretKeyRef" in entry.get("valueFrom", {}), (
                f"{variable} must come from a Secret"
            )


@pytest.mark.parametrize("service", SERVICES)
def test_services_run_as_production(overlay: Manifests, service: str) -> None:
    """Production mode is what makes the settings refuse development secrets."""
    env = provided(overlay, service)
    runtime = next(
        overlay.get("ConfigMap", s["configMapRef"]["name"])
        for s in overlay.get("Deployment", service)["spec"]["template"]["spec"]["containers"][0][
            "envFrom"
        ]
        if "ENVIRONMENT" in overlay.get("ConfigMap", s["configMapRef"]["name"])["data"]
    )
    assert f"{service.upper()}_ENVIRONMENT" in env
    assert runtime["data"]["ENVIRONMENT"] == "production"
