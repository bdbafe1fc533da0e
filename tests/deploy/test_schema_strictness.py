"""A misspelled field fails validation, at the top of a spec and deep inside it.

Each case takes a rendered object, renames one field the way a typo would, and expects the
validator to name the unknown field. Without the closing of CRD schemas in deploy_support, every
custom-kind case here would pass silently.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from deploy_support import Manifests, Obj, render, validation_errors


def rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def first(m: Manifests, kind: str, name: str | None = None) -> Obj:
    objects = [o for o in m.of_kind(kind) if name is None or o["metadata"]["name"] == name]
    assert objects, f"prod renders no {kind} {name or ''}"
    return copy.deepcopy(objects[0])


Typo = Callable[[Obj], None]

CASES: dict[str, tuple[str, str | None, Typo, str]] = {
    "Kafka listener tls -> tsl": (
        "Kafka",
        None,
        lambda o: rename(o["spec"]["kafka"]["listeners"][0], "tls", "tsl"),
        "tsl",
    ),
    "Kafka entityOperator -> entityOperators": (
        "Kafka",
        None,
        lambda o: rename(o["spec"], "entityOperator", "entityOperators"),
        "entityOperators",
    ),
    "KafkaNodePool storage volume deleteClaim -> deleteClaims": (
        "KafkaNodePool",
        None,
        lambda o: rename(o["spec"]["storage"]["volumes"][0], "deleteClaim", "deleteClaims"),
        "deleteClaims",
    ),
    "KafkaTopic partitions -> partition": (
        "KafkaTopic",
        "call-uploaded",
        lambda o: rename(o["spec"], "partitions", "partition"),
        "partition",
    ),
    "KafkaUser ACL operations -> operation (the field Strimzi's v1 API removed)": (
        "KafkaUser",
        "ingest",
        lambda o: rename(o["spec"]["authorization"]["acls"][0], "operations", "operation"),
        "operation",
    ),
    "CNPG managed role passwordSecret -> passwordSecrets": (
        "Cluster",
        "clashtor-pg",
        lambda o: rename(o["spec"]["managed"]["roles"][0], "passwordSecret", "passwordSecrets"),
        "passwordSecrets",
    ),
    "CNPG Database owner -> owners": (
        "Database",
        None,
        lambda o: rename(o["spec"], "owner", "owners"),
        "owners",
    ),
    "ScaledObject trigger authenticationRef -> authRef": (
        "ScaledObject",
        "transcribe",
        lambda o: rename(o["spec"]["triggers"][0], "authenticationRef", "authRef"),
        "authRef",
    ),
    "ScaledObject maxReplicaCount -> maxReplicas (the HPA spelling)": (
        "ScaledObject",
        "score",
        lambda o: rename(o["spec"], "maxReplicaCount", "maxReplicas"),
        "maxReplicas",
    ),
    "TriggerAuthentication secretTargetRef -> secretTargetRefs": (
        "TriggerAuthentication",
        None,
        lambda o: rename(o["spec"], "secretTargetRef", "secretTargetRefs"),
        "secretTargetRefs",
    ),
    "Certificate dnsNames -> dnsName": (
        "Certificate",
        None,
        lambda o: rename(o["spec"], "dnsNames", "dnsName"),
        "dnsName",
    ),
    "Deployment container readinessProbe -> readinesProbe": (
        "Deployment",
        "gateway",
        lambda o: rename(
            o["spec"]["template"]["spec"]["containers"][0], "readinessProbe", "readinesProbe"
        ),
        "readinesProbe",
    ),
    "Deployment securityContext readOnlyRootFilesystem -> readOnlyRootFileSystem": (
        "Deployment",
        "ingest",
        lambda o: rename(
            o["spec"]["template"]["spec"]["containers"][0]["securityContext"],
            "readOnlyRootFilesystem",
            "readOnlyRootFileSystem",
        ),
        "readOnlyRootFileSystem",
    ),
    "NetworkPolicy policyTypes -> policyType": (
        "NetworkPolicy",
        "default-deny-all",
        lambda o: rename(o["spec"], "policyTypes", "policyType"),
        "policyType",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_misspelled_field_is_rejected(prod: Manifests, case: str) -> None:
    kind, name, typo, bad_field = CASES[case]
    obj = first(prod, kind, name)
    assert validation_errors(obj) == [], "the untouched object must be valid"
    typo(obj)
    errors = validation_errors(obj)
    assert errors, f"{case}: the typo went through"
    assert any(bad_field in e for e in errors), errors


def test_a_misspelled_field_is_rejected_in_a_cluster_issuer() -> None:
    issuer = copy.deepcopy(render("cluster").get("ClusterIssuer", "letsencrypt"))
    solver = issuer["spec"]["acme"]["solvers"][0]["http01"]["ingress"]
    rename(solver, "ingressClassName", "ingressClass")
    assert any("ingressClass" in e for e in validation_errors(issuer))


def test_a_wrong_type_or_enum_value_is_rejected(prod: Manifests) -> None:
    user = first(prod, "KafkaUser", "ingest")
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    assert any("Reed" in e for e in validation_errors(user))
    topic = first(prod, "KafkaTopic", "call-uploaded")
    topic["spec"]["partitions"] = 0
    assert validation_errors(topic)


def test_fields_the_crd_leaves_open_stay_open(prod: Manifests) -> None:
    """Free-form maps (broker config, topic config) accept any key, as the operator does."""
    kafka = first(prod, "Kafka")
    kafka["spec"]["kafka"]["config"]["log.retention.hours"] = 1
    topic = first(prod, "KafkaTopic", "call-uploaded")
    topic["spec"]["config"]["segment.bytes"] = 1048576
    assert validation_errors(kafka) == []
    assert validation_errors(topic) == []
