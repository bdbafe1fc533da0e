"""What every Clashtor workload must be: hardened, probed, bounded, and shaped the same way."""

from __future__ import annotations

import re

import pytest
import yaml
from deploy_support import (
    HTTP_AUTOSCALED,
    K8S,
    LAG_AUTOSCALED,
    SERVICES,
    Manifests,
    containers,
    env_of,
)


def pod_spec(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


def test_every_deployment_runs_locked_down(overlay: Manifests) -> None:
    deployments = overlay.of_kind("Deployment")
    assert {d["metadata"]["name"] for d in deployments} >= set(SERVICES)
    for d in deployments:
        name = d["metadata"]["name"]
        pod = pod_spec(d)
        pod_sc = pod.get("securityContext", {})
        assert pod.get("automountServiceAccountToken") is False, name
        assert pod.get("serviceAccountName") == name, name
        for c in containers(d):
            sc = c.get("securityContext", {})
            where = f"{name}/{c['name']}"
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("runAsUser", pod_sc.get("runAsUser", 0)) != 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("privileged", False) is False, where
            assert "ALL" in sc.get("capabilities", {}).get("drop", []), where
            assert not sc.get("capabilities", {}).get("add"), where
            seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
            assert seccomp.get("type") == "RuntimeDefault", where


def test_every_container_has_cpu_and_memory_requests_and_limits(overlay: Manifests) -> None:
    for d in overlay.of_kind("Deployment"):
        for c in containers(d):
            resources = c.get("resources", {})
            for bound in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    assert resource in resources.get(bound, {}), (
                        f"{d['metadata']['name']}/{c['name']} has no {resource} {bound}"
                    )


def test_read_only_root_gets_a_writable_tmp_from_an_empty_dir(overlay: Manifests) -> None:
    for d in overlay.of_kind("Deployment"):
        volumes = {v["name"]: v for v in pod_spec(d).get("volumes", [])}
        for c in containers(d):
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{d['metadata']['name']} has no /tmp"
            tmp = volumes[mounts["/tmp"]]
            assert "emptyDir" in tmp and tmp["emptyDir"].get("sizeLimit"), tmp


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_probed_on_healthz_and_readyz(overlay: Manifests, service: str) -> None:
    (c,) = pod_spec(overlay.get("Deployment", service))["containers"]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"http": 8000, "metrics": 9464}  # Prometheus only on its own port
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["httpGet"]["port"] in ("http", 8000), probe


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_manifest_file_with_the_four_objects(service: str) -> None:
    """One file per service: Deployment, Service, ServiceAccount and PodDisruptionBudget together."""
    docs = [
        d
        for d in yaml.safe_load_all((K8S / "base" / "services" / f"{service}.yaml").read_text())
        if d
    ]
    kinds = {d["kind"] for d in docs if d["metadata"]["name"] == service}
    assert {"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} <= kinds


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_a_service_and_a_disruption_budget_that_select_it(
    overlay: Manifests, service: str
) -> None:
    labels = overlay.get("Deployment", service)["spec"]["template"]["metadata"]["labels"]
    svc = overlay.get("Service", service)
    pdb = overlay.get("PodDisruptionBudget", service)
    assert svc["spec"].get("type", "ClusterIP") == "ClusterIP"
    assert svc["spec"]["selector"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"].get("maxUnavailable") == 1, "must allow drains even with one replica"


def test_nothing_but_the_ingress_exposes_anything(overlay: Manifests) -> None:
    for svc in overlay.of_kind("Service"):
        assert svc["spec"].get("type", "ClusterIP") == "ClusterIP", svc["metadata"]["name"]
    backends = {
        path["backend"]["service"]["name"]
        for ing in overlay.of_kind("Ingress")
        for rule in ing["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"gateway"}


def test_http_services_scale_on_cpu_and_consumers_on_kafka_lag(overlay: Manifests) -> None:
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h for h in overlay.of_kind("HorizontalPodAutoscaler")
    }
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in overlay.of_kind("ScaledObject")}
    assert set(hpas) == set(HTTP_AUTOSCALED)
    assert set(scaled) == set(LAG_AUTOSCALED)
    for service, so in scaled.items():
        (trigger,) = so["spec"]["triggers"]
        assert trigger["type"] == "kafka"
        assert trigger["metadata"]["consumerGroup"] == service
        topic = overlay.get("KafkaTopic", trigger["metadata"]["topic"])
        assert so["spec"]["maxReplicaCount"] <= topic["spec"]["partitions"], (
            f"{service}: replicas beyond the partition count of {topic['metadata']['name']} idle"
        )
        auth = overlay.get("TriggerAuthentication", trigger["authenticationRef"]["name"])
        params = {r["parameter"] for r in auth["spec"]["secretTargetRef"]}
        assert params == {"username", "password", "ca"}
    for name in (*hpas, *scaled):
        assert "replicas" not in overlay.get("Deployment", name)["spec"], (
            f"{name}: the autoscaler owns the replica count"
        )


def test_dev_runs_one_replica_and_prod_at_least_two_behind_http(
    dev: Manifests, prod: Manifests
) -> None:
    for h in dev.of_kind("HorizontalPodAutoscaler"):
        assert h["spec"]["minReplicas"] == 1
    for s in dev.of_kind("ScaledObject"):
        assert s["spec"]["minReplicaCount"] == 1
    for h in prod.of_kind("HorizontalPodAutoscaler"):
        assert h["spec"]["minReplicas"] >= 2
    for s in prod.of_kind("ScaledObject"):
        assert s["spec"]["minReplicaCount"] >= 1


def test_dev_containers_are_smaller_than_prod(dev: Manifests, prod: Manifests) -> None:
    def memory(m: Manifests, name: str) -> str:
        return pod_spec(m.get("Deployment", name))["containers"][0]["resources"]["limits"]["memory"]

    def mib(quantity: str) -> float:
        number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
        return int(number) * (1024 if unit == "Gi" else 1)

    for service in SERVICES:
        assert mib(memory(dev, service)) <= mib(memory(prod, service)), service


@pytest.mark.parametrize("service", SERVICES)
def test_configuration_reaches_each_service_under_its_own_prefix(
    overlay: Manifests, service: str
) -> None:
    prefix = f"{service.upper()}_"
    (c,) = pod_spec(overlay.get("Deployment", service))["containers"]
    assert {e.get("prefix") for e in c["envFrom"]} == {prefix, None}
    # the one source without a prefix: the OpenTelemetry SDK's standard OTEL_* variables
    assert [e["configMapRef"]["name"] for e in c["envFrom"] if "prefix" not in e] == [
        "clashtor-telemetry"
    ]
    env = env_of(c)
    helpers = {"PG_USERNAME", "PG_PASSWORD", "PUBLIC_URL"}
    assert all(name.startswith(prefix) for name in set(env) - helpers), sorted(env)
    assert env[f"{prefix}SERVICE_NAME"]["value"] == service
    url = env[f"{prefix}DATABASE_URL"]["value"]
    assert url.startswith("postgresql+asyncpg://$(PG_USERNAME):$(PG_PASSWORD)@clashtor-pg-rw:5432/")
    assert url.split("/")[-1].split("?")[0] == service, "each service uses its own database"
    for name in (
        "MASTER_KEYS",
        "IDENTITY_SECRET",
        "FINGERPRINT_SECRET",
        "S3_SECRET_KEY",
        "S3_ACCESS_KEY",
        "KAFKA_SASL_PASSWORD",
    ):
        assert "secretKeyRef" in env[prefix + name].get("valueFrom", {}), f"{prefix}{name}"
    for name, entry in env.items():
        if re.search(r"(KEY|SECRET|PASSWORD|TOKEN)$", name):
            assert "value" not in entry, f"{name} must come from a Secret"


def test_provider_keys_reach_only_their_service(overlay: Manifests) -> None:
    owners = {
        "TRANSCRIBE_DEEPGRAM_API_KEY": "transcribe",
        "SCORE_OPENAI_API_KEY": "score",
        "BILLING_STRIPE_API_KEY": "billing",
        "BILLING_STRIPE_WEBHOOK_SECRET": "billing",
    }
    for variable, owner in owners.items():
        holders = [
            d["metadata"]["name"]
            for d in overlay.of_kind("Deployment")
            for c in containers(d)
            if variable in env_of(c)
        ]
        assert holders == [owner], variable


def test_prod_images_are_pinned_and_named_per_service(prod: Manifests) -> None:
    for d in prod.of_kind("Deployment"):
        for c in containers(d):
            image = c["image"]
            assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, image
            assert not image.endswith(":latest"), image
    for service in SERVICES:
        (c,) = pod_spec(prod.get("Deployment", service))["containers"]
        assert c["image"].rsplit(":", 1)[0].endswith(f"/{service}"), c["image"]
