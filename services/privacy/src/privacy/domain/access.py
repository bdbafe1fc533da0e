"""Who may ask what: the access rules of data-subject requests.

Owners, admins and compliance officers act for any subject of their organization
(``system`` is the gateway acting on a check it already made, e.g. a user deleting a
call they own). Everyone else may act only for themselves: a ``user`` subject whose
id is their own user id. Erasing a whole organization is for its owner alone.
"""

from __future__ import annotations

from clashtor_common.domain_errors import Forbidden as NotAllowed
from clashtor_common.identity import Identity
from privacy.domain.subjects import SubjectRef

PRIVILEGED_ROLES = frozenset({"owner", "admin", "compliance", "system"})
SELF_SERVICE_KINDS = frozenset({"export", "erasure", "restriction", "objection", "rectification"})


class Forbidden(NotAllowed):
    """The caller may not make this request; the message says what would be allowed."""


def is_privileged(identity: Identity) -> bool:
    return identity.role in PRIVILEGED_ROLES


def is_self(identity: Identity, subject: SubjectRef) -> bool:
    return subject.type == "user" and subject.id == identity.user_id and subject.fingerprint is None


def authorize_request(identity: Identity, kind: str, subject: SubjectRef) -> None:
    """Raise ``Forbidden`` unless ``identity`` may make a ``kind`` request about ``subject``."""
    if subject.type == "organization" and kind == "erasure":
        if identity.role != "owner":
            raise Forbidden("only the organization's owner may erase the organization")
        return
    if is_privileged(identity):
        return
    if kind in SELF_SERVICE_KINDS and is_self(identity, subject):
        return
    raise Forbidden(
        f"a {identity.role} may only make requests about themselves "
        f"(subject {{type: user, id: {identity.user_id}}})"
    )


def may_read_request(identity: Identity, *, requested_by: str, subject: SubjectRef) -> bool:
    """Privileged roles read every request of their org; others their own or about them."""
    return is_privileged(identity) or requested_by == identity.user_id or is_self(identity, subject)


def may_read_audit(identity: Identity) -> bool:
    return identity.role in ("owner", "admin", "compliance")
