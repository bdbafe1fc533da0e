"""The permission table, row by row: every (action, role) pair is tried over HTTP.

For each action there is one probe request that reaches past authentication. A role
outside the action's row must get 403 ``forbidden``; a role inside it must not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from gateway.domain.permissions import PERMISSIONS, Action, Role
from gateway.entrypoints.http import routers

MISSING = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    json: Any = None
    files: Any = None


PROBES: dict[Action, Probe] = {
    Action.PROFILE_READ: Probe("GET", "/v1/me"),
    Action.PROFILE_UPDATE: Probe("PATCH", "/v1/me", json={"name": "Same Person"}),
    Action.NOTIFICATIONS_READ: Probe("GET", "/v1/notifications"),
    Action.API_KEYS_MANAGE_OWN: Probe("GET", "/v1/api-keys"),
    Action.MEMBERS_READ: Probe("GET", "/v1/members"),
    Action.MEMBERS_INVITE: Probe("GET", "/v1/invitations"),
    Action.MEMBERS_UPDATE_ROLE: Probe("PATCH", f"/v1/members/{MISSING}", json={"role": "rep"}),
    Action.MEMBERS_REMOVE: Probe("DELETE", f"/v1/members/{MISSING}"),
    Action.MEMBERS_ASSIGN_MANAGER: Probe(
        "PUT", f"/v1/members/{MISSING}/manager", json={"manager_id": None}
    ),
    Action.USAGE_READ: Probe("GET", "/v1/admin/usage"),
    Action.INTEGRATIONS_MANAGE: Probe("GET", "/v1/webhooks"),
    Action.ACCOUNT_DELETE: Probe("DELETE", "/v1/account"),
    Action.ACCOUNT_RESTORE: Probe("POST", "/v1/account/restore"),
    Action.CALLS_UPLOAD: Probe(
        "POST", "/v1/calls", files={"file": ("a.wav", b"RIFF....WAVEfmt ", "audio/wav")}
    ),
    Action.CALLS_READ: Probe("GET", "/v1/calls"),
    Action.CALLS_DELETE: Probe("DELETE", f"/v1/calls/{MISSING}"),
    Action.CALLS_CORRECT_ROLES: Probe(
        "PUT", f"/v1/calls/{MISSING}/roles", json={"roles": {"0": "rep"}}
    ),
    Action.COACHING_READ: Probe("GET", "/v1/scorecards"),
    Action.COACHING_MANAGE: Probe(
        "POST", "/v1/trackers", json={"name": "pricing", "phrases": ["price"]}
    ),
    Action.LIBRARY_READ: Probe("GET", "/v1/playlists"),
    Action.LIBRARY_EDIT: Probe("POST", "/v1/playlists", json={"title": "Best calls"}),
    Action.BILLING_READ: Probe("GET", "/v1/billing/plans"),
    Action.BILLING_MANAGE: Probe("POST", "/v1/billing/checkout", json={"plan": "starter"}),
}
"""One request per action whose only reason to answer 403 is the permission table."""

SERVICE_LAYER_ACTIONS = {
    Action.API_KEYS_MANAGE_ALL,
    Action.PRIVACY_SELF_SERVICE,
    Action.PRIVACY_MANAGE,
}
"""Checked on the rows a request touches rather than on the route; probed below."""

ROWS = [(action, role) for action in Action for role in Role]


@pytest.fixture(scope="module")
async def org(api: Any) -> dict[Role, Any]:
    owner = await api.signup()
    people = {Role.OWNER: owner}
    for role in (Role.ADMIN, Role.MANAGER, Role.REP, Role.COMPLIANCE):
        people[role] = await api.invite(owner, role.value)
    return people


def test_every_action_has_a_probe() -> None:
    assert set(PROBES) | SERVICE_LAYER_ACTIONS == set(Action)


async def _send(member: Any, probe: Probe) -> Any:
    return await member.client.request(probe.method, probe.path, json=probe.json, files=probe.files)


async def _api_keys_manage_all(org: dict[Role, Any], role: Role) -> bool:
    """Allowed ⇔ the role sees a key another member created."""
    other = org[Role.OWNER] if role is not Role.OWNER else org[Role.ADMIN]
    created = await other.client.post("/v1/api-keys", json={"name": f"probe-{role}"})
    key_id = created.json()["id"]
    listed = await org[role].client.get("/v1/api-keys")
    assert listed.status_code == 200
    return key_id in {k["id"] for k in listed.json()["items"]}


async def _privacy_self_service(org: dict[Role, Any], role: Role) -> bool:
    """Allowed ⇔ the role may ask for an export of their own data."""
    me = org[role]
    resp = await me.client.post(
        "/v1/privacy/export", json={"subject": {"type": "user", "id": me.user_id}}
    )
    assert resp.status_code in (202, 403), resp.text
    return resp.status_code == 202


async def _privacy_manage(org: dict[Role, Any], role: Role) -> bool:
    """Allowed ⇔ the role may make a request about the whole organization (taking it back
    into analytics: harmless). Everyone lists requests; privacy scopes the rows."""
    resp = await org[role].client.post(
        "/v1/privacy/objection", json={"subject": {"type": "organization"}, "objected": False}
    )
    assert resp.status_code in (202, 403), resp.text
    return resp.status_code == 202


async def _account_delete(org: dict[Role, Any], role: Role) -> bool:
    """Allowed ⇔ the account gets deleted; restored at once, so the other probes of this
    module still reach past the deleted-account check to the permission table."""
    resp = await _send(org[role], PROBES[Action.ACCOUNT_DELETE])
    if resp.status_code == 403:
        assert resp.json()["error"]["code"] == "forbidden", resp.text
        return False
    assert resp.status_code == 202, resp.text
    restored = await org[Role.OWNER].client.post("/v1/account/restore")
    assert restored.status_code == 200, restored.text
    return True


ROW_CHECKS: dict[Action, Callable[[dict[Role, Any], Role], Awaitable[bool]]] = {
    Action.API_KEYS_MANAGE_ALL: _api_keys_manage_all,
    Action.PRIVACY_SELF_SERVICE: _privacy_self_service,
    Action.PRIVACY_MANAGE: _privacy_manage,
    Action.ACCOUNT_DELETE: _account_delete,
}


@pytest.mark.parametrize(("action", "role"), ROWS, ids=[f"{a.value}-{r.value}" for a, r in ROWS])
async def test_permission_row(org: dict[Role, Any], action: Action, role: Role) -> None:
    expected = role in PERMISSIONS[action]
    if action in ROW_CHECKS:
        assert await ROW_CHECKS[action](org, role) is expected
        return
    resp = await _send(org[role], PROBES[action])
    if expected:
        assert resp.status_code != 403, f"{role} should be allowed {action}: {resp.text}"
        assert resp.status_code < 500, resp.text
    else:
        assert resp.status_code == 403, f"{role} should be refused {action}: {resp.text}"
        assert resp.json()["error"]["code"] == "forbidden"


def test_every_authenticated_route_names_exactly_one_action() -> None:
    """Authorization lives in ``require(action)``: one per route, none forgotten."""
    open_routes = {
        ("POST", "/v1/auth/signup"),
        ("POST", "/v1/auth/login"),
        ("POST", "/v1/invitations/{token}/accept"),
        ("POST", "/v1/auth/email/confirm"),  # the mailed token is the credential
        ("POST", "/webhooks/stripe"),
        ("POST", "/webhooks/zoom"),  # Zoom's signature is the credential (checked downstream)
        ("POST", "/webhooks/zoom/{webhook_key}"),  # the connection's own app signs
    }
    session_only = {("POST", "/v1/auth/logout"), ("GET", "/v1/auth/csrf")}
    used: set[str] = set()
    all_routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    assert len(all_routes) > 40
    for route in all_routes:
        for method in route.methods:
            names = _dependency_names(route.dependant)
            requires = sorted(n for n in names if n.startswith("require_"))
            key = (method, route.path)
            if key in open_routes:
                assert "authenticate" not in names, key
                assert not requires, key
            elif key in session_only:
                assert "authenticate" in names and not requires, key
            else:
                assert len(requires) == 1, f"{key} has {requires}"
                used.update(requires)
    route_actions = {f"require_{a.value.replace('.', '_')}" for a in PROBES}
    assert route_actions <= used


def _dependency_names(dependant: Any) -> set[str]:
    names = set()
    for dep in dependant.dependencies:
        call = getattr(dep, "call", None)
        if call is not None:
            names.add(getattr(call, "__name__", type(call).__name__))
        names |= _dependency_names(dep)
    return names
