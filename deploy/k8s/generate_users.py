"""Regenerate the per-service part of ``base/kafka/users.yaml`` from the code.

ACLs follow each service's ``CONSUMES``/``PRODUCES`` (entrypoints/stream.py), so a new
subscription is one command away from its grant: ``.venv/bin/python deploy/k8s/generate_users.py``.
tests/deploy checks that the file matches the code.
"""

from __future__ import annotations

import importlib
from pathlib import Path

SERVICES = ("gateway", "ingest", "transcribe", "score", "billing", "privacy", "integrations")
USERS = Path(__file__).parent / "base" / "kafka" / "users.yaml"
HEADER_END = "---\n"
KEDA_MARKER = "# KEDA reads consumer lag"


def user(service: str) -> str:
    stream = importlib.import_module(f"{service}.entrypoints.stream")
    acl = [
        f"      - resource: {{type: group, name: {service}, patternType: literal}}\n        operations: [Read]"
    ]
    acl += [
        f"      - resource: {{type: topic, name: {t}, patternType: literal}}\n        operations: [Read, Describe]"
        for t in stream.CONSUMES
    ]
    acl += [
        f"      - resource: {{type: topic, name: {t}, patternType: literal}}\n        operations: [Write, Describe]"
        for t in (*stream.PRODUCES, *(f"{c}.dlq" for c in stream.CONSUMES))
    ]
    return (
        "apiVersion: kafka.strimzi.io/v1\nkind: KafkaUser\nmetadata:\n"
        f"  name: {service}\n  labels:\n    strimzi.io/cluster: clashtor\n"
        f"    app.kubernetes.io/name: {service}\nspec:\n  authentication:\n    type: scram-sha-512\n"
        "  authorization:\n    type: simple\n    acls:\n" + "\n".join(acl) + "\n"
    )


def main() -> None:
    text = USERS.read_text()
    header = text[: text.index(HEADER_END) + len(HEADER_END)]
    keda = text[text.index(KEDA_MARKER) :]
    USERS.write_text(header + "---\n".join(user(s) for s in SERVICES) + "---\n" + keda)


if __name__ == "__main__":
    main()
