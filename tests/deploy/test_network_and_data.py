"""Who may talk to whom, and which database each service reaches.

The NetworkPolicy checks evaluate the rendered policies the way the API defines them (a pod is
isolated in a direction once any policy selecting it names that direction; allowed traffic is the
union of the rules of those policies), for the pod labels the manifests really give.
"""

from __future__ import annotations

import pytest
from deploy_support import SERVICES, Manifests, render, secret_refs

from clashtor_common.devstack import KEY_PRODUCERS

INGRESS_NGINX = (
    {"kubernetes.io/metadata.name": "ingress-nginx"},
    {"app.kubernetes.io/name": "ingress-nginx"},
)


def matches(selector: dict | None, labels: dict[str, str]) -> bool:
    if selector is None:
        return False
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        present = expr["key"] in labels
        value = labels.get(expr["key"])
        op = expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def pod_labels(m: Manifests, deployment: str) -> dict[str, str]:
    return m.get("Deployment", deployment)["spec"]["template"]["metadata"]["labels"]


def policies_for(m: Manifests, labels: dict[str, str], direction: str) -> list[dict]:
    return [
        p
        for p in m.of_kind("NetworkPolicy")
        if direction in p["spec"].get("policyTypes", [])
        and matches(p["spec"]["podSelector"], labels)
    ]


def ingress_peers(m: Manifests, labels: dict[str, str]) -> list[dict]:
    return [
        peer
        for p in policies_for(m, labels, "Ingress")
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    ]


def admits_from_namespace(m: Manifests, labels: dict[str, str], ns: dict, pod: dict) -> bool:
    for peer in ingress_peers(m, labels):
        if (
            "namespaceSelector" in peer
            and matches(peer["namespaceSelector"], ns)
            and ("podSelector" not in peer or matches(peer["podSelector"], pod))
        ):
            return True
    return False


def admits_pod(m: Manifests, labels: dict[str, str], source: dict[str, str], port: int) -> bool:
    for p in policies_for(m, labels, "Ingress"):
        for rule in p["spec"].get("ingress", []):
            ports = {x["port"] for x in rule.get("ports", [])}
            if ports and port not in ports:
                continue
            for peer in rule.get("from", []):
                if "namespaceSelector" not in peer and matches(peer.get("podSelector"), source):
                    return True
    return False


def egress_ports_to(m: Manifests, labels: dict[str, str], target: dict[str, str]) -> set[int]:
    ports: set[int] = set()
    for p in policies_for(m, labels, "Egress"):
        for rule in p["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if "namespaceSelector" not in peer and matches(peer.get("podSelector"), target):
                    ports |= {x["port"] for x in rule.get("ports", [])}
    return ports


def test_everything_is_denied_by_default(overlay: Manifests) -> None:
    denies = [
        p
        for p in overlay.of_kind("NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert denies, "no default-deny policy"


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_gateway_is_reachable_from_the_ingress_controller(
    overlay: Manifests, service: str
) -> None:
    reachable = admits_from_namespace(overlay, pod_labels(overlay, service), *INGRESS_NGINX)
    assert reachable == (service == "gateway")


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "gateway"])
def test_internal_apis_admit_the_gateway_and_no_other_service(
    overlay: Manifests, service: str
) -> None:
    """...but the consumers that ask this service for data keys (``KEY_PRODUCERS``) and
    integrations' Zoom uploads into ingest."""
    target = pod_labels(overlay, service)
    assert admits_pod(overlay, target, pod_labels(overlay, "gateway"), 8000)
    assert 8000 in egress_ports_to(overlay, pod_labels(overlay, "gateway"), target)
    askers = {c for c, producers in KEY_PRODUCERS.items() if service in producers}
    for other in SERVICES:
        if other in ("gateway", service):
            continue
        allowed = other in askers or (other, service) in ZOOM_UPLOADS
        assert admits_pod(overlay, target, pod_labels(overlay, other), 8000) == allowed, other
        assert bool(egress_ports_to(overlay, pod_labels(overlay, other), target)) == allowed, other


ZOOM_UPLOADS = {("integrations", "ingest")}
"""Zoom recordings uploaded into ingest as their host (the other service-to-service call)."""


@pytest.mark.parametrize("service", SERVICES)
def test_services_reach_kafka_postgres_and_dns(overlay: Manifests, service: str) -> None:
    labels = pod_labels(overlay, service)
    kafka_pod = {
        "strimzi.io/cluster": "clashtor",
        "strimzi.io/kind": "Kafka",
        "strimzi.io/name": "clashtor-kafka",
    }
    pg_pod = {"cnpg.io/cluster": "clashtor-pg", "cnpg.io/instanceRole": "primary"}
    assert egress_ports_to(overlay, labels, kafka_pod) == {9093}
    assert egress_ports_to(overlay, labels, pg_pod) == {5432}
    assert admits_pod(overlay, pg_pod, labels, 5432)
    dns = [
        rule
        for p in policies_for(overlay, labels, "Egress")
        for rule in p["spec"].get("egress", [])
        if {x["port"] for x in rule.get("ports", [])} == {53}
    ]
    assert dns, "no DNS egress"
    (kafka,) = overlay.of_kind("Kafka")
    peers = kafka["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    assert any(matches(p.get("podSelector"), labels) for p in peers), "Kafka listener refuses it"


#: Webhook receivers listen on whatever port their URL names: integrations alone may reach
#: public addresses on any port (still never private ranges).
ANY_PORT_PUBLIC_EGRESS = {
    "allow-integrations-webhook-egress": {"app.kubernetes.io/name": "integrations"}
}


def test_public_egress_is_https_only_and_never_to_private_ranges(overlay: Manifests) -> None:
    for p in overlay.of_kind("NetworkPolicy"):
        name = p["metadata"]["name"]
        for rule in p["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if "ipBlock" in peer:
                    if name in ANY_PORT_PUBLIC_EGRESS:
                        assert (
                            p["spec"]["podSelector"]["matchLabels"]
                            == (ANY_PORT_PUBLIC_EGRESS[name])
                        )
                    else:
                        assert {x["port"] for x in rule["ports"]} == {443}, name
                    assert {
                        "10.0.0.0/8",
                        "172.16.0.0/12",
                        "192.168.0.0/16",
                        "169.254.0.0/16",
                    } <= set(peer["ipBlock"]["except"])
            if rule == {}:  # open egress: only the operator-run pods, which reach the API server
                selector = p["spec"]["podSelector"]["matchLabels"]
                assert set(selector) <= {"strimzi.io/cluster", "cnpg.io/cluster"}, p["metadata"][
                    "name"
                ]


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_database_role_and_password_secret(
    overlay: Manifests, service: str
) -> None:
    (cluster,) = overlay.of_kind("Cluster")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    role = roles[service]
    assert role["login"] is True and not role.get("superuser") and not role.get("createrole")
    databases = [d for d in overlay.of_kind("Database") if d["spec"]["name"] == service]
    assert len(databases) == 1
    (database,) = databases
    assert database["spec"]["owner"] == service
    assert database["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert database["spec"].get("databaseReclaimPolicy") == "retain"
    used = {(name, key) for where, name, key in secret_refs([overlay.get("Deployment", service)])}
    assert {
        (role["passwordSecret"]["name"], "username"),
        (role["passwordSecret"]["name"], "password"),
    } <= used
    hba = cluster["spec"]["postgresql"]["pg_hba"]
    assert f"hostssl {service} {service} all scram-sha-256" in hba
    reject = hba[-1].split()
    assert reject[0] == "host" and reject[-1] == "reject" and service in reject[2].split(",")


def test_postgres_keeps_its_ha_in_prod_only(dev: Manifests, prod: Manifests) -> None:
    assert prod.get("Cluster", "clashtor-pg")["spec"]["instances"] >= 3
    assert dev.get("Cluster", "clashtor-pg")["spec"]["instances"] == 1


# --- Ingress and TLS ---------------------------------------------------------------------------


def test_the_public_host_has_a_cert_manager_certificate(overlay: Manifests) -> None:
    (ingress,) = overlay.of_kind("Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    certificates = {c["spec"]["secretName"]: c for c in overlay.of_kind("Certificate")}
    for tls in ingress["spec"]["tls"]:
        cert = certificates[tls["secretName"]]
        assert set(tls["hosts"]) <= set(cert["spec"]["dnsNames"])
        assert cert["spec"]["issuerRef"]["kind"] == "ClusterIssuer"
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for t in ingress["spec"]["tls"] for h in t["hosts"]}, "a host without TLS"


def test_issuers_exist_for_both_overlays_and_dev_does_not_hit_lets_encrypt(
    dev: Manifests, prod: Manifests
) -> None:
    issuers = render("cluster").names("ClusterIssuer")
    for m in (dev, prod):
        for cert in m.of_kind("Certificate"):
            assert cert["spec"]["issuerRef"]["name"] in issuers
    assert {c["spec"]["issuerRef"]["name"] for c in dev.of_kind("Certificate")} == {
        "clashtor-selfsigned"
    }
    assert {c["spec"]["issuerRef"]["name"] for c in prod.of_kind("Certificate")} == {"letsencrypt"}


def test_the_ingress_controller_speaks_tls_1_3_only() -> None:
    config = render("cluster").get("ConfigMap", "ingress-nginx-controller")
    assert config["metadata"]["namespace"] == "ingress-nginx"
    assert config["data"]["ssl-protocols"] == "TLSv1.3"
