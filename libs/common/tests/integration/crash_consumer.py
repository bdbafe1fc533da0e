"""A consumer process for the crash test: ``python crash_consumer.py BOOTSTRAP DB TOPIC GROUP MODE MARKER``.

MODE ``block`` writes its effect, signals MARKER, then hangs before committing, so
the test can SIGKILL it mid-handler; ``block-at-N`` does so at the N-th event it handles
(the earlier ones of its batch handled, not committed); MODE ``normal`` handles events
and keeps running.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from sqlalchemy.ext.asyncio import AsyncSession
from support import Effect, settings_for

from clashtor_common.bus import make_broker, start_broker, subscribe
from clashtor_common.db import Database
from clashtor_common.events import Envelope


async def main(bootstrap: str, db_url: str, topic: str, group: str, mode: str, marker: str) -> None:
    settings = settings_for(group, bootstrap, db_url)
    db = Database(db_url)
    broker = make_broker(settings)

    block_at = int(mode.removeprefix("block-at-")) if mode.startswith("block-at-") else 1
    calls = 0

    async def handler(event: Envelope, session: AsyncSession) -> None:
        nonlocal calls
        calls += 1
        session.add(Effect(event_id=str(event.id), note=mode))
        await session.flush()
        if mode.startswith("block") and calls == block_at:
            Path(marker).write_text(str(event.id))
            await asyncio.Event().wait()  # killed here, before the commit

    subscribe(broker, topic, settings=settings, db=db, handler=handler)
    await start_broker(broker)
    Path(marker + ".started").write_text("1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:7]))
