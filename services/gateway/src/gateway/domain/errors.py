"""The gateway's own refusals, beyond the common kinds in ``clashtor_common.domain_errors``.

Use cases raise the common kinds (``InvalidInput``, ``Conflict``, ``TooMany``...) with a
precise ``code`` (``invalid_email``, ``last_owner``...); only the HTTP edge
(``clashtor_common.errors``) knows their statuses.
"""

from __future__ import annotations

from clashtor_common.domain_errors import Forbidden


class AccountDeleted(Forbidden):
    """The organization's account was deleted: its data is out of reach."""

    code = "account_deleted"
