"""A transcribe worker in a process of its own, for the kill -9 test.

Reads the settings (JSON, secrets revealed) on stdin, leases the next queued job, says
``claimed <call id>`` and transcribes it; the test kills the process mid-call.
"""

from __future__ import annotations

import asyncio
import sys

from transcribe.bootstrap import bootstrap
from transcribe.context import context_of, workers_of
from transcribe.settings import TranscribeSettings


async def main() -> None:
    settings = TranscribeSettings.model_validate_json(sys.stdin.read())
    runtime = bootstrap(settings)
    claim = await context_of(runtime).queue.claim()
    if claim is None:
        print("nothing", flush=True)
        return
    print(f"claimed {claim.call_id}", flush=True)
    await workers_of(runtime).run(claim)
    print("finished", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
