"""A misspelled field fails validation, at the top of a spec and deep inside it.

Each case takes a rendered object, renames one field the way a typo would, and expects the
validator to name the unknown field. Without the closing of CRD schemas in deploy_support, every
custom-kind case here would pass silently.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from deploy_support import Manifests, Obj, render, validation_errors


def rename(mapping: dict, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def first(m: Manifests, kind: str, name: str | None = None) -> Obj:
    objects = [o for o in m.of_kind(kind) if name is None or o["metadata"]["name"] == name]
    assert objects, f"prod renders no {kind} {name or ''}"
    return copy.deepcopy(objects[0])


@dataclass(frozen=True)
class Typo:
    """In the first rendered ``kind`` (named ``name``), the field ``old`` of the mapping at
    ``path`` (dotted; a number indexes a list) renamed ``new``: the validator must name ``new``."""

    kind: str
    name: str | None
    path: str
    old: str
    new: str

    def apply(self, obj: Obj) -> None:
        mapping: Any = obj
        for part in self.path.split("."):
            mapping = mapping[int(part) if part.isdigit() else part]
        rename(mapping, self.old, self.new)

    def __str__(self) -> str:
        return f"{self.kind} {self.path}.{self.old} -> {self.new}"


CONTAINER = "spec.template.spec.containers.0"
TYPOS = [
    Typo("Kafka", None, "spec.kafka.listeners.0", "tls", "tsl"),
    Typo("Kafka", None, "spec", "entityOperator", "entityOperators"),
    Typo("KafkaNodePool", None, "spec.storage.volumes.0", "deleteClaim", "deleteClaims"),
    Typo("KafkaTopic", "call-uploaded", "spec", "partitions", "partition"),
    # the field Strimzi's v1 API removed
    Typo("KafkaUser", "ingest", "spec.authorization.acls.0", "operations", "operation"),
    Typo("Cluster", "clashtor-pg", "spec.managed.roles.0", "passwordSecret", "passwordSecrets"),
    Typo("Database", None, "spec", "owner", "owners"),
    Typo("ScaledObject", "transcribe", "spec.triggers.0", "authenticationRef", "authRef"),
    Typo("ScaledObject", "score", "spec", "maxReplicaCount", "maxReplicas"),  # the HPA spelling
    Typo("TriggerAuthentication", None, "spec", "secretTargetRef", "secretTargetRefs"),
    Typo("Certificate", None, "spec", "dnsNames", "dnsName"),
    Typo("Deployment", "gateway", CONTAINER, "readinessProbe", "readinesProbe"),
    Typo(
        "Deployment",
        "ingest",
        f"{CONTAINER}.securityContext",
        "readOnlyRootFilesystem",
        "readOnlyRootFileSystem",
    ),
    Typo("NetworkPolicy", "default-deny-all", "spec", "policyTypes", "policyType"),
]


@pytest.mark.parametrize("typo", TYPOS, ids=str)
def test_a_misspelled_field_is_rejected(prod: Manifests, typo: Typo) -> None:
    obj = first(prod, typo.kind, typo.name)
    assert validation_errors(obj) == [], "the untouched object must be valid"
    typo.apply(obj)
    errors = validation_errors(obj)
    assert errors, f"{typo}: the typo went through"
    assert any(typo.new in e for e in errors), errors


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
