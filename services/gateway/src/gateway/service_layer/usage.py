"""Product usage analytics, server-side: which features an organization uses.

A row per authenticated request: org id, user id, method, route template (never the
concrete path, which could hold an email or a name), status and credential kind.
No cookies, no client identifiers, no personal data beyond ids. Users who objected
to analytics (a privacy objection) are not recorded at all. The rows are recorded in
memory and written in batches: ``adapters.usage_buffer``.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from sqlalchemy import case, func, select

from clashtor_common.db import Database, utcnow
from gateway.adapters.tables import UsageEvent


async def summarize(db: Database, org_id: str, *, days: int) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    scope = (UsageEvent.org_id == org_id, UsageEvent.at >= since)
    errors = func.sum(case((UsageEvent.status >= 400, 1), else_=0))
    async with db.session() as session:
        total, users = (
            await session.execute(
                select(func.count(), func.count(func.distinct(UsageEvent.user_id))).where(*scope)
            )
        ).one()
        features = await session.execute(
            select(
                UsageEvent.method,
                UsageEvent.route,
                func.count(),
                func.count(func.distinct(UsageEvent.user_id)),
                errors,
            )
            .where(*scope)
            .group_by(UsageEvent.method, UsageEvent.route)
            .order_by(func.count().desc(), UsageEvent.route)
        )
        per_user = await session.execute(
            select(UsageEvent.user_id, func.count())
            .where(*scope)
            .group_by(UsageEvent.user_id)
            .order_by(func.count().desc())
        )
        by_feature = [
            {
                "feature": f"{method} {route}",
                "requests": count,
                "users": distinct_users,
                "errors": int(errs or 0),
            }
            for method, route, count, distinct_users, errs in features
        ]
        by_user = [{"user_id": uid, "requests": count} for uid, count in per_user]
    return {
        "org_id": org_id,
        "since": since.astimezone(UTC).isoformat(),
        "days": days,
        "requests": total,
        "active_users": users,
        "features": by_feature,
        "users": by_user,
    }
