"""Monitoring (components/monitoring, in both overlays): Prometheus scrapes every service on
its own metrics port and nothing else, the alert rules cover lag, dead letters, outbox backlog
and error rate with the series the services really export, and the dashboard is valid JSON
that Grafana's sidecar picks up."""

from __future__ import annotations

import json
import re

import pytest
from deploy_support import SERVICES, Manifests
from test_network_and_data import matches, pod_labels, policies_for

from clashtor_common.metrics import PROMETHEUS_SERIES

MONITORING = (
    {"kubernetes.io/metadata.name": "monitoring"},
    {"app.kubernetes.io/name": "prometheus"},
)
#: Names in a PromQL expression that are not series: functions, keywords, label names.
PROMQL_WORDS = {
    "sum", "max", "by", "and", "rate", "increase", "histogram_quantile", "humanizePercentage",
    "le", "group", "topic", "service", "job", "outcome", "http_status_code", "namespace",
    "clashtor", "up",
}  # fmt: skip


def series_in(expr: str) -> set[str]:
    """The series an expression reads (identifiers outside strings, minus PromQL's words)."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    return set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", bare)) - PROMQL_WORDS


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_scrapes_each_service_on_its_metrics_port(
    overlay: Manifests, service: str
) -> None:
    svc = overlay.get("Service", service)
    ports = {p["name"]: p for p in svc["spec"]["ports"]}
    assert ports["metrics"]["port"] == 9464 and ports["metrics"]["targetPort"] == "metrics"
    (c,) = overlay.get("Deployment", service)["spec"]["template"]["spec"]["containers"]
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in c["ports"]
    monitors = [
        m
        for m in overlay.of_kind("ServiceMonitor")
        if matches(m["spec"]["selector"], svc["metadata"]["labels"])
    ]
    assert len(monitors) == 1, "scraped once"
    assert [e["port"] for e in monitors[0]["spec"]["endpoints"]] == ["metrics"]
    # the metrics listener binds every interface in a pod (127.0.0.1 by default)
    runtime = next(
        c["data"]
        for c in overlay.of_kind("ConfigMap")
        if c["metadata"]["name"].startswith("clashtor-runtime")
    )
    assert runtime["METRICS_PORT"] == "9464" and runtime["METRICS_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("service", SERVICES)
def test_prometheus_reaches_the_metrics_port_and_no_api(overlay: Manifests, service: str) -> None:
    ns, pod = MONITORING
    ports = {
        port["port"]
        for policy in policies_for(overlay, pod_labels(overlay, service), "Ingress")
        for rule in policy["spec"].get("ingress", [])
        if any(
            "namespaceSelector" in peer
            and matches(peer["namespaceSelector"], ns)
            and matches(peer.get("podSelector", {}), pod)
            for peer in rule.get("from", [])
        )
        for port in rule.get("ports", [])
    }
    assert ports == {9464}


def test_alerts_cover_lag_dead_letters_outbox_and_errors_with_exported_series(
    overlay: Manifests,
) -> None:
    rules = [
        rule
        for doc in overlay.of_kind("PrometheusRule")
        for group in doc["spec"]["groups"]
        for rule in group["rules"]
    ]
    by_series: dict[str, set[str]] = {}
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        used = series_in(rule["expr"])
        assert used <= PROMETHEUS_SERIES, (rule["alert"], used - PROMETHEUS_SERIES)
        for name in used:
            by_series.setdefault(name, set()).add(rule["alert"])
    for needed in (
        "clashtor_consumer_lag",
        "clashtor_consumer_dead_letters_total",
        "clashtor_outbox_backlog",
        "http_server_duration_milliseconds_count",
    ):
        assert needed in by_series, f"no alert on {needed}"
    assert any("5.." in r["expr"] for r in rules), "error rate: 5xx over all requests"


def test_the_dashboard_is_picked_up_by_grafana_and_plots_exported_series(
    overlay: Manifests,
) -> None:
    (config,) = [
        c
        for c in overlay.of_kind("ConfigMap")
        if c["metadata"]["name"] == "clashtor-grafana-dashboard"
    ]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config["data"]["clashtor.json"])
    assert dashboard["uid"] and dashboard["title"] == "Clashtor"
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    plotted = set().union(*(series_in(e) for e in exprs))
    assert plotted <= PROMETHEUS_SERIES, plotted - PROMETHEUS_SERIES
    assert {
        "clashtor_consumer_lag",
        "clashtor_consumer_dead_letters_total",
        "clashtor_outbox_backlog",
        "clashtor_consumer_handler_duration_seconds_bucket",
        "http_server_duration_milliseconds_count",
    } <= plotted
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
