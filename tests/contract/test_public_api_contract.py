"""The public /v1 API keeps every name DESIGN.md promises web clients and developers."""

from __future__ import annotations

import pytest

PROMISED = [
    ("post", "/v1/auth/signup"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/logout"),
    ("get", "/v1/me"),
    ("patch", "/v1/me"),
    ("post", "/v1/api-keys"),
    ("delete", "/v1/api-keys/{id}"),
    ("post", "/v1/calls"),
    ("get", "/v1/calls"),
    ("get", "/v1/calls/{id}"),
    ("get", "/v1/calls/{id}/audio"),
    ("delete", "/v1/calls/{id}"),
    ("get", "/v1/billing/plans"),
    ("post", "/v1/billing/checkout"),
    ("get", "/v1/billing/usage"),
    ("post", "/webhooks/stripe"),
    ("post", "/v1/privacy/export"),
    ("post", "/v1/privacy/erasure"),
    ("get", "/v1/privacy/requests/{id}"),
    ("delete", "/v1/account"),
    ("post", "/v1/account/restore"),
    ("post", "/v1/privacy/restriction"),
    ("post", "/v1/privacy/objection"),
]


@pytest.fixture(scope="module")
def spec() -> dict:
    from gateway.main import create_app

    return create_app().openapi()


def _normalize(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "{id}", path)


@pytest.mark.parametrize(("method", "path"), PROMISED, ids=[f"{m} {p}" for m, p in PROMISED])
def test_promised_route_exists(spec: dict, method: str, path: str) -> None:
    paths = {_normalize(p): ops for p, ops in spec["paths"].items()}
    assert path in paths, f"{path} missing from the gateway's OpenAPI"
    assert method in paths[path], f"{method.upper()} {path} missing"


def test_calls_detail_schema_names_the_promised_fields(spec: dict) -> None:
    detail = spec["paths"]
    ops = next(ops for p, ops in detail.items() if _normalize(p) == "/v1/calls/{id}")["get"]
    schema_ref = ops["responses"]["200"]["content"]["application/json"]["schema"]
    name = schema_ref.get("$ref", "").rsplit("/", 1)[-1]
    props = (
        spec["components"]["schemas"][name]["properties"]
        if name
        else schema_ref.get("properties", {})
    )
    for field in (
        "id",
        "status",
        "title",
        "duration",
        "participants",
        "transcript",
        "metrics",
        "trackers",
        "scorecard",
        "feedback",
    ):
        assert field in props, f"GET /v1/calls/{{id}} lacks {field}"


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [(m, p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def test_every_operation_id_is_a_readable_resource_and_verb(spec: dict) -> None:
    """``calls_list``, never FastAPI's ``list_calls_v1_calls_get`` (generated clients use them)."""
    import re

    unreadable = [
        f"{m.upper()} {p}: {op.get('operationId')}"
        for m, p, op in _operations(spec)
        if not re.fullmatch(r"[a-z]+(_[a-z]+)+", op.get("operationId", ""))
        or re.sub(r"\W", "_", p) in op["operationId"]  # FastAPI's default: name + path + method
    ]
    assert not unreadable, unreadable
    assert spec["paths"]["/v1/calls"]["get"]["operationId"] == "calls_list"
    assert spec["paths"]["/v1/calls/{call_id}"]["get"]["operationId"] == "calls_get"


def test_operation_ids_are_unique(spec: dict) -> None:
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _untyped(spec: dict, schema: dict | None) -> bool:
    """No schema, ``{}`` (any), or an object or array that says nothing of its contents."""
    if not schema:
        return True
    schema = _resolve(spec, schema)
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return any(_untyped(spec, s) for s in schema[union] if s.get("type") != "null")
    kind = schema.get("type")
    if kind == "array":
        return _untyped(spec, schema.get("items"))
    if kind == "object" or kind is None:
        return not schema.get("properties")
    return False


def _json_successes(spec: dict) -> list[tuple[str, dict | None]]:
    return [
        (f"{op['operationId']} ({status})", content["application/json"].get("schema"))
        for _, _, op in _operations(spec)
        for status, response in op["responses"].items()
        if status.startswith("2")
        and "application/json" in (content := response.get("content") or {})
    ]


def test_every_json_success_response_has_a_real_schema(spec: dict) -> None:
    """Generated clients and the docs need the shape of every 2xx JSON answer: not a
    missing schema, not ``{}``, not a bare object or array of anything."""
    untyped = [name for name, schema in _json_successes(spec) if _untyped(spec, schema)]
    assert not untyped, untyped


def test_the_untyped_check_tells_typed_from_untyped(spec: dict) -> None:
    assert _untyped(spec, None) and _untyped(spec, {"title": "Response"})
    assert _untyped(spec, {"type": "object", "additionalProperties": True})
    assert _untyped(spec, {"type": "array", "items": {"type": "object"}})
    assert not _untyped(spec, {"$ref": "#/components/schemas/CallOut"})
    assert not _untyped(spec, {"type": "array", "items": {"$ref": "#/components/schemas/CallOut"}})


BARE_ARRAYS = {"zapier_sample": "Zapier's sample data is a bare array by its own format"}


def test_every_list_is_one_cursor_pagination(spec: dict) -> None:
    """Every list answers ``{items, next_cursor}`` and takes ``limit`` and ``cursor``, as
    ``GET /v1/calls`` does: no bare arrays, no list that stops at a limit with no way on."""
    wrong = []
    for method, _, op in _operations(spec):
        content = op["responses"].get("200", {}).get("content", {}).get("application/json")
        if method != "get" or content is None or op["operationId"] in BARE_ARRAYS:
            continue
        schema = _resolve(spec, content["schema"])
        if schema.get("type") == "array":
            wrong.append(f"{op['operationId']}: a bare array")
            continue
        props = schema.get("properties", {})
        if (
            "items" not in props
            or "id" in props
            or _resolve(spec, props["items"]).get("type") != "array"
        ):
            continue  # one thing (a scorecard has items too, and an id), not a list
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if "next_cursor" not in schema["properties"] or not {"limit", "cursor"} <= query:
            wrong.append(
                f"{op['operationId']}: params {sorted(query)}, {sorted(schema['properties'])}"
            )
    assert not wrong, wrong
