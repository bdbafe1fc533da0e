"""The account-status cache: how often privacy is asked, and what a deleted org is told."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from clashtor_common.domain_errors import Forbidden
from clashtor_common.errors import ApiError
from clashtor_common.identity import Identity
from gateway.adapters.account_status import AccountStatus, AccountStatusCache, refusal
from gateway.domain.errors import AccountDeleted

ORG = Identity(org_id="org-1", user_id="u-1", role="rep")


class Privacy:
    """Answers ``GET /internal/account/status`` with what the test scripts."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.asked = 0

    async def call_json(self, service: str, method: str, path: str, **_: Any) -> tuple[int, Any]:
        assert (service, method, path) == ("privacy", "GET", "/internal/account/status")
        self.asked += 1
        answer = self.answers.pop(0)
        if isinstance(answer, ApiError):
            raise answer
        return 200, answer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(privacy: Privacy, clock: Clock | None = None, **options: Any) -> AccountStatusCache:
    return AccountStatusCache(
        privacy,  # type: ignore[arg-type]
        ttl_seconds=5,
        stale_seconds=60,
        clock=clock or Clock(),
        **options,
    )


DOWN = ApiError(503, "service_unavailable", "the privacy service is unavailable")
ACTIVE = {"org_id": "org-1", "status": "active"}
DELETED = {
    "org_id": "org-1",
    "status": "deleted",
    "deleted_at": "2030-01-01T09:00:00+00:00",
    "restorable_until": "2030-01-31T09:00:00+00:00",
}


async def test_privacy_is_asked_once_per_cache_period() -> None:
    privacy, clock = Privacy(ACTIVE, DELETED), Clock()
    cache = _cache(privacy, clock)
    for _ in range(3):
        await cache.ensure_active(ORG)
    assert privacy.asked == 1
    clock.now += 5
    with pytest.raises(AccountDeleted) as refused:
        await cache.ensure_active(ORG)
    assert privacy.asked == 2 and refused.value.code == "account_deleted"


async def test_the_last_answer_stands_in_while_privacy_is_down_but_not_for_long() -> None:
    privacy, clock = Privacy(DELETED, DOWN, DOWN), Clock()
    cache = _cache(privacy, clock)
    assert (await cache.status(ORG)).status == "deleted"
    clock.now += 30
    assert (await cache.status(ORG)).status == "deleted"
    clock.now += 31
    with pytest.raises(ApiError) as down:
        await cache.status(ORG)
    assert down.value.status == 503


async def test_an_unknown_status_fails_closed() -> None:
    privacy = Privacy(DOWN, {"status": "maybe"})
    cache = _cache(privacy)
    with pytest.raises(ApiError) as down:
        await cache.ensure_active(ORG)
    assert down.value.status == 503
    with pytest.raises(ApiError) as nonsense:
        await cache.ensure_active(ORG)
    assert nonsense.value.status == 502


async def test_what_this_replica_forwarded_counts_at_once() -> None:
    privacy = Privacy(ACTIVE)
    cache = _cache(privacy)
    await cache.ensure_active(ORG)
    cache.remember("org-1", AccountStatus.from_privacy(DELETED))
    with pytest.raises(AccountDeleted):
        await cache.ensure_active(ORG)
    cache.remember("org-1", AccountStatus(status="active"))
    await cache.ensure_active(ORG)
    assert privacy.asked == 1


async def test_the_table_is_bounded_and_keeps_the_organizations_in_use() -> None:
    privacy = Privacy(*[ACTIVE] * 10)
    cache = _cache(privacy, max_entries=3)
    for n in range(10):
        await cache.ensure_active(Identity(org_id=f"org-{n}", user_id="u-1", role="rep"))
        await cache.ensure_active(ORG)  # in use all along: never pushed out
    assert privacy.asked == 10, "one question per new organization, none for org-1 again"


def test_a_deleted_org_is_told_how_and_until_when_to_restore() -> None:
    message = refusal(AccountStatus.from_privacy(DELETED)).message
    assert "POST /v1/account/restore" in message
    assert "2030-01-31T09:00:00+00:00" in message and "30 days" in message
    for status in ("purging", "purged"):
        erased = refusal(AccountStatus(status=status))
        assert isinstance(erased, Forbidden) and erased.code == "account_deleted"
        assert "can no longer be restored" in erased.message


class SlowPrivacy(Privacy):
    """Privacy that answers only once the test lets it."""

    def __init__(self, *answers: Any) -> None:
        super().__init__(*answers)
        self.release = asyncio.Event()

    async def call_json(self, service: str, method: str, path: str, **_: Any) -> tuple[int, Any]:
        self.asked += 1
        await self.release.wait()
        return 200, self.answers.pop(0)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_readers_arriving_while_the_status_is_asked_share_that_one_question() -> None:
    privacy = SlowPrivacy(ACTIVE)
    cache = _cache(privacy)
    readers = [asyncio.create_task(cache.ensure_active(ORG)) for _ in range(50)]
    await _settle()
    privacy.release.set()
    await asyncio.gather(*readers)
    assert privacy.asked == 1, "not one question per reader when the status is due"


async def test_a_status_learned_first_hand_is_not_overwritten_by_an_older_question() -> None:
    privacy = SlowPrivacy(ACTIVE, DELETED)
    cache = _cache(privacy)
    asked_before = asyncio.create_task(cache.status(ORG))
    await _settle()
    cache.remember("org-1", AccountStatus.from_privacy(DELETED))  # this replica forwarded it
    privacy.release.set()
    assert (await asked_before).status == "active"  # asked before the deletion
    with pytest.raises(AccountDeleted):
        await cache.ensure_active(ORG)
    assert privacy.asked == 1


async def test_what_one_organization_learned_does_not_keep_anothers_answer_out() -> None:
    privacy = SlowPrivacy({**ACTIVE, "org_id": "org-2"})
    cache = _cache(privacy)
    other = Identity(org_id="org-2", user_id="u-2", role="rep")
    asked = asyncio.create_task(cache.status(other))
    await _settle()
    cache.remember("org-1", AccountStatus.from_privacy(DELETED))  # org-1's news only
    privacy.release.set()
    assert (await asked).active
    await cache.ensure_active(other)  # answered from the cache: org-2's answer was kept
    assert privacy.asked == 1
