"""Erasure is final: a participant erased across every service, with one service down meanwhile.

Afterwards no database, no S3 object and no event on any topic yields their email,
name or what they said; replaying every topic into every service changes nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile

from clashtor_callgen import Turn, generate_call, short_script
from clashtor_common.devstack import SERVICES
from clashtor_common.ops.replay import list_topics, read_topics, replayable, republish

from .client import POLL_SECONDS, Clashtor
from .scan import scan_everything
from .stack import Stack

ERASED = {"name": "Erin Erased", "email": "erin.erased@buyer.example", "role": "customer"}
KEPT = {"name": "Kim Kept", "email": "kim.kept@buyer.example", "role": "customer"}
REP = {"name": "Rita Rep", "email": "rita.rep@seller.example", "role": "rep"}
SECRET_SCRIPT = [
    Turn(0, "Thanks for joining. What would make this project a success for your team?"),
    Turn(1, "We need the pilot running before the harvest festival in October."),
    Turn(0, "Understood. Who signs off on the purchase?"),
    Turn(1, "Our finance director signs off, and the board meets in September."),
]


def test_erasing_a_participant_is_final_everywhere(api: Clashtor, stack: Stack) -> None:
    erased_calls = [
        api.upload(
            generate_call(SECRET_SCRIPT, layout="stereo", fmt=fmt).path,
            title=f"Erin {fmt}",
            participants=[REP, ERASED],
        )["id"]
        for fmt in ("wav", "ogg")
    ]
    kept_call = api.upload(
        generate_call(short_script(), layout="stereo", fmt="m4a").path,
        title="Kim",
        participants=[REP, KEPT],
    )["id"]
    said = []
    for call_id in [*erased_calls, kept_call]:
        call = api.wait_for_status(call_id, "scored")
        said.append(" ".join(u["text"] for u in call["transcript"]["utterances"]).lower())
    assert "harvest festival" in said[0] and "harvest festival" not in said[2]

    # Right of access first: one bundle with everything about Erin, nothing of Kim.
    export_id = api.privacy("export", {"type": "participant", "email": ERASED["email"]})
    export = api.wait_for_request(export_id, timeout=180)
    assert export["status"] == "completed", export
    bundle = api.http.get(export["download_url"], headers=api.bearer)
    assert bundle.status_code == 200, bundle.text
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        everything = b"".join(archive.read(n) for n in archive.namelist()).lower()
    parts = {p["service"]: p for p in manifest["parts"]}
    assert {"ingest", "transcribe", "score"} <= set(parts), manifest
    assert parts["ingest"]["items"] >= 2 and parts["transcribe"]["items"] == 2
    assert ERASED["email"].encode() in everything and b"harvest festival" in everything
    assert KEPT["email"].encode() not in everything and kept_call.encode() not in everything

    # score is down while the erasure is fanned out; it finishes its part when it is back
    stack.stop_service("score")
    request_id = api.privacy("erasure", {"type": "participant", "email": ERASED["email"]})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        acked = {
            a["service"]
            for a in api.request(request_id)["acknowledgements"]
            if a["status"] == "completed"
        }
        if {"ingest", "transcribe", "billing", "gateway"} <= acked:
            break
        time.sleep(POLL_SECONDS)
    pending = api.request(request_id)
    assert pending["status"] != "completed", "score has not answered, so the request is open"
    assert "score" not in {
        a["service"] for a in pending["acknowledgements"] if a["status"] == "completed"
    }
    stack.start_service("score")
    done = api.wait_for_request(request_id, timeout=180)
    assert done["status"] == "completed", done
    # every other service holds data about the participant and answered
    assert {a["service"] for a in done["acknowledgements"]} >= set(SERVICES) - {"privacy"}
    assert "erin" not in str(done).lower()

    for call_id in erased_calls:
        assert api.call(call_id).status_code == 404
    assert api.wait_for_status(kept_call, "scored")["title"] == "Kim"

    needles = [ERASED["email"], ERASED["name"], "harvest festival", "finance director"]
    assert scan_everything(stack, needles) == {}

    # Replaying every topic from the start into every service changes nothing.
    async def replay_all() -> None:
        bootstrap = stack.kafka_bootstrap
        topics = [
            t
            for t in await list_topics(bootstrap)
            if not (t.startswith("__") or t.endswith(".dlq"))
        ]
        for topic, records in (await read_topics(bootstrap, topics)).items():
            for service in SERVICES:
                await republish(bootstrap, topic, replayable(records, service), service)

    asyncio.run(replay_all())
    stack.wait_consumed()
    for call_id in erased_calls:
        assert api.call(call_id).status_code == 404
    assert scan_everything(stack, needles) == {}
    listed = {c["id"] for c in api.http.get("/v1/calls", headers=api.bearer).json()["items"]}
    assert kept_call in listed and not set(erased_calls) & listed
