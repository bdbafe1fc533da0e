"""deploy/README.md tells how to create every Secret the manifests reference (and its keys)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from deploy_support import REPO, SERVICES, Manifests, secret_refs

README = REPO / "deploy" / "README.md"


def referenced(m: Manifests) -> Iterator[tuple[str, str]]:
    """(secret, key) pairs the rendered objects read, wherever the reference sits."""
    for _, name, key in secret_refs(m.objects):
        yield name, key
    for cluster in m.of_kind("Cluster"):
        for role in cluster["spec"].get("managed", {}).get("roles", []):
            if "passwordSecret" in role:
                yield role["passwordSecret"]["name"], "username"
                yield role["passwordSecret"]["name"], "password"
    for user in m.of_kind("KafkaUser"):
        ref = user["spec"]["authentication"].get("password", {}).get("valueFrom", {})
        if "secretKeyRef" in ref:
            yield ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"]
    for auth in m.of_kind("TriggerAuthentication"):
        for ref in auth["spec"].get("secretTargetRef", []):
            yield ref["name"], ref["key"]


def made_by_operators(m: Manifests, name: str) -> bool:
    (kafka,) = m.of_kind("Kafka")
    prefix = kafka["spec"]["entityOperator"]["userOperator"]["secretPrefix"]
    certificates = {c["spec"]["secretName"] for c in m.of_kind("Certificate")}
    return (
        name.startswith(prefix)
        or name == f"{kafka['metadata']['name']}-cluster-ca-cert"
        or name in certificates
    )


def documented_name(text: str, name: str) -> bool:
    if name in text:
        return True
    for service in SERVICES:
        if name.endswith(f"-{service}"):
            stem = name[: -len(service)]
            return f"{stem}$svc" in text or f"{stem}<service>" in text
    return False


def test_every_referenced_secret_and_key_has_a_create_command(overlay: Manifests) -> None:
    text = README.read_text()
    section = text[text.index("## 3. Secrets") : text.index("## 4. Deploy")]
    missing = []
    for name, key in sorted(set(referenced(overlay))):
        if made_by_operators(overlay, name):
            assert documented_name(text, name), f"the README should say who makes {name}"
            continue
        if not documented_name(section, name):
            missing.append(f"secret {name}")
        if not re.search(rf'(--from-literal={re.escape(key)}=|\\?"{re.escape(key)}\\?")', section):
            missing.append(f"key {key} of {name}")
    assert not missing, missing
