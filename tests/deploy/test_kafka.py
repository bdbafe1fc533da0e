"""Kafka as deployed matches Kafka as the code uses it: topics, durability, and per-service ACLs.

The source of truth is the code: ``clashtor_common.events.Topic`` names the topics, and each
service's ``<name>.entrypoints.stream`` declares ``CONSUMES`` and ``PRODUCES`` (the topics its
subscribers are registered on and its outbox emits to). A topic added in code without its
KafkaTopic, or a subscription without its ACL, fails here instead of in the cluster.
"""

from __future__ import annotations

import importlib
from collections import defaultdict

import pytest
from deploy_support import SERVICES, Manifests, dlq


def stream_module(service: str) -> str:
    return f"{service}.entrypoints.stream"


def acl_table(user: dict) -> dict[tuple[str, str], set[str]]:
    """(resource type, name) -> operations of one KafkaUser."""
    table: dict[tuple[str, str], set[str]] = defaultdict(set)
    for acl in user["spec"]["authorization"]["acls"]:
        assert acl.get("type", "allow") == "allow"
        res = acl["resource"]
        assert res.get("patternType", "literal") == "literal", "no prefix grants"
        table[(res["type"], res.get("name", ""))] |= set(acl["operations"])
    return table


def topics_with(table: dict[tuple[str, str], set[str]], operation: str) -> set[str]:
    return {name for (kind, name), ops in table.items() if kind == "topic" and operation in ops}


# --- topics ------------------------------------------------------------------------------------


def test_topics_are_exactly_the_event_topics_in_code_and_their_dead_letters(
    overlay: Manifests,
) -> None:
    from clashtor_common.events import Topic

    expected = {t.value for t in Topic} | {dlq(t.value) for t in Topic}
    assert overlay.names("KafkaTopic") == expected


def test_topics_are_durable_in_prod_and_consistent_in_dev(dev: Manifests, prod: Manifests) -> None:
    for topic in prod.of_kind("KafkaTopic"):
        spec = topic["spec"]
        assert spec["replicas"] == 3, topic["metadata"]["name"]
        assert spec["config"]["min.insync.replicas"] == 2, topic["metadata"]["name"]
        assert int(spec["config"]["retention.ms"]) > 0
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "clashtor"
    pools = prod.of_kind("KafkaNodePool")
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) >= 3
    for topic in dev.of_kind("KafkaTopic"):
        spec = topic["spec"]
        assert spec["config"]["min.insync.replicas"] <= spec["replicas"] == 1


def test_every_topic_has_its_dead_letter_topic_kept_longer(overlay: Manifests) -> None:
    names = overlay.names("KafkaTopic")
    events = {n for n in names if not n.endswith(".dlq")}
    assert {dlq(n) for n in events} == names - events
    for name in events:
        event = overlay.get("KafkaTopic", name)["spec"]["config"]["retention.ms"]
        dead = overlay.get("KafkaTopic", dlq(name))["spec"]["config"]["retention.ms"]
        assert int(dead) >= int(event), name


def test_broker_min_isr_never_exceeds_what_the_cluster_can_hold(overlay: Manifests) -> None:
    (kafka,) = overlay.of_kind("Kafka")
    config = kafka["spec"]["kafka"]["config"]
    brokers = sum(p["spec"]["replicas"] for p in overlay.of_kind("KafkaNodePool"))
    assert config["auto.create.topics.enable"] is False
    assert config["min.insync.replicas"] < brokers or brokers == config["min.insync.replicas"] == 1
    assert config["offsets.topic.replication.factor"] <= brokers
    assert config["transaction.state.log.replication.factor"] <= brokers


def test_kafka_runs_in_kraft_mode_with_node_pools_and_authenticated_clients(
    overlay: Manifests,
) -> None:
    (kafka,) = overlay.of_kind("Kafka")
    annotations = kafka["metadata"]["annotations"]
    assert annotations["strimzi.io/kraft"] == "enabled"
    assert annotations["strimzi.io/node-pools"] == "enabled"
    assert "zookeeper" not in kafka["spec"]
    for pool in overlay.of_kind("KafkaNodePool"):
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    roles = {r for p in overlay.of_kind("KafkaNodePool") for r in p["spec"]["roles"]}
    assert roles == {"controller", "broker"}
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True
    assert listener["authentication"]["type"] == "scram-sha-512"
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


# --- ACLs --------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_user_grants_a_consistent_shape(overlay: Manifests, service: str) -> None:
    """Read on its own group only; every consumed topic's dead letters writable; no stray topic."""
    table = acl_table(overlay.get("KafkaUser", service))
    groups = {name: ops for (kind, name), ops in table.items() if kind == "group"}
    assert groups == {service: {"Read"}}
    assert not [k for k in table if k[0] not in ("topic", "group")], "no cluster-wide grants"
    reads = topics_with(table, "Read")
    writes = topics_with(table, "Write")
    assert {dlq(t) for t in reads} <= writes
    for name in reads | writes:
        assert "Describe" in table[("topic", name)], name
    assert reads | writes <= overlay.names("KafkaTopic"), "ACL on a topic that does not exist"
    assert not {t for t in reads if t.endswith(".dlq")}, "services never read dead letters"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_user_grants_exactly_what_its_code_consumes_and_produces(
    overlay: Manifests, service: str
) -> None:
    stream = importlib.import_module(stream_module(service))
    consumes, produces = set(stream.CONSUMES), set(stream.PRODUCES)
    table = acl_table(overlay.get("KafkaUser", service))
    assert topics_with(table, "Read") == consumes, "Read ACLs != CONSUMES"
    assert topics_with(table, "Write") == produces | {dlq(t) for t in consumes}, (
        "Write ACLs != PRODUCES + dead letters of CONSUMES"
    )
    assert ("group", service) in table


def test_the_lag_reader_and_ops_users_cannot_consume_as_a_service(overlay: Manifests) -> None:
    keda = acl_table(overlay.get("KafkaUser", "keda-lag-reader"))
    assert all(ops == {"Describe"} for ops in keda.values())
    scaled = {
        s["spec"]["triggers"][0]["metadata"]["topic"] for s in overlay.of_kind("ScaledObject")
    }
    groups = {
        s["spec"]["triggers"][0]["metadata"]["consumerGroup"]
        for s in overlay.of_kind("ScaledObject")
    }
    assert topics_with(keda, "Describe") == scaled
    assert {n for (k, n) in keda if k == "group"} == groups
    ops = acl_table(overlay.get("KafkaUser", "ops"))
    assert not [n for (k, n), o in ops.items() if k == "group" and "Read" in o]
    assert not topics_with(ops, "Write") & {
        t for t in overlay.names("KafkaTopic") if t.endswith(".dlq")
    }


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_authenticates_as_its_own_kafka_user(overlay: Manifests, service: str) -> None:
    (c,) = overlay.get("Deployment", service)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in c["env"]}
    prefix = service.upper()
    assert env[f"{prefix}_KAFKA_SASL_USERNAME"]["value"] == service
    ref = env[f"{prefix}_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    (kafka,) = overlay.of_kind("Kafka")
    secret_prefix = kafka["spec"]["entityOperator"]["userOperator"]["secretPrefix"]
    assert ref == {"name": f"{secret_prefix}{service}", "key": "password"}


# CONSUMES is derived from each service's ROUTES (the handlers it registers), and
# tests/contract checks the broker's registry against it, so the ACLs follow the code.
