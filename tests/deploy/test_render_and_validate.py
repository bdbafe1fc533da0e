"""Every overlay renders with kustomize and every object is one the API server would accept."""

from __future__ import annotations

from deploy_support import K8S, Manifests, all_errors, crd_schemas, render, validation_errors


def test_each_overlay_renders_only_objects_the_api_server_accepts(overlay: Manifests) -> None:
    errors = all_errors(overlay.objects)
    assert not errors, "\n".join(errors)


def test_cluster_prerequisites_render_and_validate() -> None:
    cluster = render("cluster")
    assert cluster.names("ClusterIssuer") >= {"letsencrypt", "clashtor-selfsigned"}
    errors = all_errors(cluster.objects)
    assert not errors, "\n".join(errors)


def is_custom(api_version: str) -> bool:
    """Built-in API groups are either undotted (apps, policy, ...) or end in .k8s.io."""
    group = api_version.split("/")[0] if "/" in api_version else ""
    return "." in group and not group.endswith(".k8s.io")


def test_stored_schemas_are_exactly_the_custom_kinds_in_use() -> None:
    """No custom kind goes unchecked, and no stored schema is dead weight."""
    used = {
        (o["apiVersion"], o["kind"])
        for tree in ("overlays/dev", "overlays/prod", "cluster")
        for o in render(tree).objects
        if is_custom(o["apiVersion"])
    }
    assert used == set(crd_schemas())


def test_every_stored_schema_says_where_it_came_from() -> None:
    schemas = crd_schemas()
    assert {s.kind for s in schemas.values()} == {
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "Cluster",
        "Database",
        "ScaledObject",
        "TriggerAuthentication",
        "Certificate",
        "ClusterIssuer",
        "ServiceMonitor",
        "PrometheusRule",
    }
    for s in schemas.values():
        head = s.source.read_text().split("apiVersion:", 1)[0]
        assert "Source:" in head, f"{s.source.name} lacks a `# Source:` note"


def test_secrets_are_never_committed() -> None:
    """Secrets are referenced by the manifests and created by hand (deploy/README.md)."""
    for tree in ("overlays/dev", "overlays/prod", "cluster"):
        kinds = {o["kind"] for o in render(tree).objects}
        assert "Secret" not in kinds, f"{tree} renders a Secret"
    for path in K8S.rglob("*.yaml"):
        assert "kind: Secret" not in path.read_text(), f"{path} defines a Secret"


def test_the_validator_accepts_a_minimal_valid_object() -> None:
    """Guards the misspelling tests: a correct object must come back clean."""
    topic = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "clashtor"}},
        "spec": {"partitions": 1, "replicas": 1, "config": {"retention.ms": 1}},
    }
    assert validation_errors(topic) == []
