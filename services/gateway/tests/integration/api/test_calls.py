"""/v1/calls: streamed upload, list, the assembled call, audio ranges, deletion."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from clashtor_common.embedded import free_port
from clashtor_common.upload_form import SOURCE_HEADER
from gateway.settings import GatewaySettings

MB = 1024 * 1024


@pytest.fixture(scope="module")
def gateway_settings(settings_factory: Callable[..., GatewaySettings]) -> GatewaySettings:
    return settings_factory(max_upload_bytes=4 * MB)


def _multipart(boundary: str, audio: bytes, title: str, participants: list[Any]) -> list[bytes]:
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        f"{title}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="participants"\r\n\r\n'
        f"{json.dumps(participants)}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="call.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    return [head, audio, f"\r\n--{boundary}--\r\n".encode()]


async def test_upload_is_forwarded_with_the_signed_identity(api: Any, fake_state: Any) -> None:
    rep = await api.invite(await api.signup(), "rep")
    audio = b"RIFF" + bytes(range(256)) * 40
    participants = [{"name": "Cy", "email": "cy@customer.example", "role": "customer"}]
    resp = await rep.client.post(
        "/v1/calls",
        files={"file": ("call.wav", audio, "audio/wav")},
        data={"title": "Intro", "participants": json.dumps(participants)},
        # only integrations names a source (a Zoom recording); a public client's is dropped
        headers={SOURCE_HEADER: "zoom:someone-elses-recording"},
    )
    assert resp.status_code == 202, resp.text
    call_id = resp.json()["id"]
    assert resp.json()["status"] == "uploaded"
    assert resp.headers["location"] == f"/v1/calls/{call_id}"
    call = fake_state.calls[call_id]
    assert call["org_id"] == rep.org_id and call["uploader_id"] == rep.user_id
    assert call["title"] == "Intro" and call["participants"] == participants
    assert call["sha256"] == hashlib.sha256(audio).hexdigest()
    upload = [s for s in fake_state.seen if s.path == "/internal/calls" and s.method == "POST"][-1]
    assert upload.identity.role == "rep" and upload.identity.org_id == rep.org_id
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert SOURCE_HEADER.lower() not in upload.headers

    again = await rep.client.post("/v1/calls", files={"file": ("call.wav", audio, "audio/wav")})
    assert again.status_code == 200 and again.json()["id"] == call_id


async def test_upload_streams_through_before_the_client_has_finished(
    api: Any, fake_state: Any
) -> None:
    """Ingest sees the first bytes while the client still holds back the rest: no buffering."""
    owner = await api.signup()
    boundary = "streamtestboundary"
    first, audio, last = _multipart(boundary, b"\x01" * (2 * MB), "Long call", [])
    fake_state.upload_started.clear()
    reached_ingest_early: list[bool] = []

    async def body() -> AsyncIterator[bytes]:
        yield first
        yield audio[: MB // 2]
        # Deadlock guard, not a timing assertion: a buffering gateway never forwards.
        seen = await asyncio.to_thread(fake_state.upload_started.wait, 20)
        reached_ingest_early.append(seen)
        yield audio[MB // 2 :]
        yield last

    resp = await owner.client.post(
        "/v1/calls",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert reached_ingest_early == [True]
    assert resp.status_code == 202, resp.text
    assert fake_state.calls[resp.json()["id"]]["size_bytes"] == 2 * MB


async def test_upload_that_is_not_multipart_is_415(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/calls", json={"file": "nope"})
    assert resp.status_code == 415
    assert resp.json()["error"]["code"] == "unsupported_media_type"


async def test_upload_over_the_limit_is_413(api: Any) -> None:
    owner = await api.signup()
    declared = await owner.client.post(
        "/v1/calls", files={"file": ("big.wav", b"\0" * (5 * MB), "audio/wav")}
    )
    assert declared.status_code == 413
    parts = _multipart("b0und", b"\0" * (5 * MB), "x", [])

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted on the way
        for part in parts:
            for i in range(0, len(part), MB):
                yield part[i : i + MB]

    streamed = await owner.client.post(
        "/v1/calls",
        content=chunked(),
        headers={"content-type": "multipart/form-data; boundary=b0und"},
    )
    assert streamed.status_code == 413
    assert streamed.json()["error"]["code"] == "payload_too_large"


async def test_downstream_validation_errors_pass_through(api: Any) -> None:
    owner = await api.signup()
    resp = await owner.client.post("/v1/calls", files={"other": ("x.wav", b"abc", "audio/wav")})
    assert resp.status_code == 422
    assert resp.json() == {"error": {"code": "validation_error", "message": "file: field required"}}


async def test_uploads_past_the_documented_limits_are_refused_by_ingest(api: Any) -> None:
    """title ≤ 500, ≤ 50 participants, name ≤ 200, email ≤ 254, a name or an email each:
    what the upload schema documents is what ingest (here its fake) enforces."""
    owner = await api.signup()
    email = "e" * 242 + "@example.com"
    at_limit = [{"name": "n" * 200, "email": email, "role": "rep"}] * 50
    audio = b"RIFF limits " * 64
    ok = await owner.client.post(
        "/v1/calls",
        files={"file": ("a.wav", audio, "audio/wav")},
        data={"title": "t" * 500, "participants": json.dumps(at_limit)},
    )
    assert ok.status_code == 202, ok.text
    for n, (title, participants) in enumerate(
        (
            ("t" * 501, []),
            ("x", at_limit + at_limit[:1]),
            ("x", [{"name": "n" * 201, "role": "rep"}]),
            ("x", [{"email": "e" + email, "role": "rep"}]),
            ("x", [{"role": "customer"}]),
            ("x", [{"name": "Al", "role": "boss"}]),
        )
    ):
        resp = await owner.client.post(
            "/v1/calls",
            files={"file": ("a.wav", audio + bytes([n]), "audio/wav")},
            data={"title": title, "participants": json.dumps(participants)},
        )
        assert resp.status_code == 422, (n, resp.text)
        assert resp.json()["error"]["code"] == "validation_error"


async def test_reps_list_their_own_calls_admins_all(api: Any, fake_state: Any) -> None:
    owner, rep = await api.team("rep")
    rep_call = fake_state.add_call(owner.org_id, rep.user_id)
    owner_call = fake_state.add_call(owner.org_id, owner.user_id)
    rep_ids = {c["id"] for c in (await rep.client.get("/v1/calls")).json()["items"]}
    owner_ids = {c["id"] for c in (await owner.client.get("/v1/calls")).json()["items"]}
    assert rep_ids == {rep_call["id"]}
    assert owner_ids == {rep_call["id"], owner_call["id"]}


async def test_list_filters_are_checked_then_forwarded_to_ingest(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    params = {
        "q": "acme",
        "status": "scored",
        "from": "2026-11-01",
        "to": "2026-11-30",
        "rep": "user-1",
        "sort": "longest",
        "limit": "5",
        "cursor": "abc",
    }
    resp = await owner.client.get("/v1/calls", params=params)
    assert resp.status_code == 200, resp.text
    assert fake_state.list_params[-1] == params
    for bad in ({"status": "done"}, {"sort": "random"}, {"limit": "0"}, {"q": "x" * 201}):
        resp = await owner.client.get("/v1/calls", params=bad)
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.json()["error"]["code"] == "validation_error"


async def test_a_call_is_assembled_from_ingest_transcribe_and_score(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id, title="Pricing", duration=61.5)
    fake_state.transcripts[call["id"]] = {
        "org_id": owner.org_id,
        "language": "en",
        "engine": "local",
        "model": "tiny.en",
        "duration": 61.5,
        "channels": 1,
        "speakers": 2,
        "utterances": [
            {
                "speaker": 0,
                "start": 0.0,
                "end": 1.2,
                "text": "Hi there.",
                "confidence": 0.9,
                "words": [
                    {"word": "Hi", "start": 0.0, "end": 0.4, "confidence": 0.9, "speaker": 0},
                    {"word": "there.", "start": 0.5, "end": 1.2, "confidence": 0.8, "speaker": 0},
                ],
            },
            {"speaker": 1, "start": 1.5, "end": 2.0, "text": "Hello.", "words": []},
        ],
    }
    fake_state.scores[call["id"]] = {
        "org_id": owner.org_id,
        "roles": {"0": "rep", "1": "customer"},
        "metrics": {"talk_ratio": {"rep": 0.6}},
        "trackers": [{"name": "pricing", "hits": 1}],
        "scorecard": {"template": "meddic", "overall": 0.7},
        "feedback": {"engine": "local", "strengths": []},
    }
    call["status"] = "scored"  # ingest's state machine has recorded call-scored
    resp = await owner.client.get(f"/v1/calls/{call['id']}")
    assert resp.status_code == 200, resp.text
    view = resp.json()
    assert view["id"] == call["id"] and view["status"] == "scored"
    assert view["title"] == "Pricing" and view["duration"] == 61.5
    utterances = view["transcript"]["utterances"]
    assert [(u["speaker"], u["role"], u["text"]) for u in utterances] == [
        (0, "rep", "Hi there."),
        (1, "customer", "Hello."),
    ]
    assert utterances[0]["words"][1]["word"] == "there."
    assert view["metrics"] == {"talk_ratio": {"rep": 0.6}}
    assert view["scorecard"]["overall"] == 0.7
    assert view["feedback"]["engine"] == "local"


async def test_list_and_detail_always_agree_on_the_status(api: Any, fake_state: Any) -> None:
    """Ingest has not yet heard that the call was scored (its call-scored is still on its
    way, or was lost before a restart): list and detail both say what ingest says."""
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    call["status"] = "transcribed"
    fake_state.transcripts[call["id"]] = {"org_id": owner.org_id, "utterances": []}
    fake_state.scores[call["id"]] = {"org_id": owner.org_id, "roles": {}, "metrics": {"x": 1}}
    listed = (await owner.client.get("/v1/calls")).json()["items"]
    detail = (await owner.client.get(f"/v1/calls/{call['id']}")).json()
    assert [c["status"] for c in listed if c["id"] == call["id"]] == ["transcribed"]
    assert detail["status"] == "transcribed"
    call["status"] = "scored"
    listed = (await owner.client.get("/v1/calls")).json()["items"]
    detail = (await owner.client.get(f"/v1/calls/{call['id']}")).json()
    assert [c["status"] for c in listed if c["id"] == call["id"]] == ["scored"]
    assert detail["status"] == "scored"


async def test_missing_transcript_and_score_are_null(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    view = (await owner.client.get(f"/v1/calls/{call['id']}")).json()
    assert view["status"] == "uploaded"
    assert view["transcript"] is None and view["metrics"] is None
    assert view["scorecard"] is None and view["feedback"] is None and view["trackers"] is None


async def test_a_call_answers_with_an_etag_and_304_while_it_is_unchanged(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id, title="Pricing")
    fake_state.scores[call["id"]] = {"org_id": owner.org_id, "roles": {}, "metrics": {"x": 1}}
    first = await owner.client.get(f"/v1/calls/{call['id']}")
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "private, no-cache"  # revalidated, never shared

    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = await owner.client.get(f"/v1/calls/{call['id']}", headers={"If-None-Match": sent})
        assert again.status_code == 304, sent
        assert again.content == b"" and again.headers["etag"] == etag

    fake_state.scores[call["id"]]["metrics"] = {"x": 2}  # rescored: the view changed
    changed = await owner.client.get(f"/v1/calls/{call['id']}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["metrics"] == {"x": 2}
    assert changed.headers["etag"] != etag
    stale = await owner.client.get(f"/v1/calls/{call['id']}", headers={"If-None-Match": '"x"'})
    assert stale.status_code == 200 and stale.headers["etag"] == changed.headers["etag"]


async def test_an_etag_never_answers_for_a_call_the_caller_may_not_see(
    api: Any, fake_state: Any
) -> None:
    owner, rep = await api.team("rep")
    call = fake_state.add_call(owner.org_id, owner.user_id)
    etag = (await owner.client.get(f"/v1/calls/{call['id']}")).headers["etag"]
    for sent in (etag, "*"):
        resp = await rep.client.get(f"/v1/calls/{call['id']}", headers={"If-None-Match": sent})
        assert resp.status_code == 404, sent


async def test_a_rep_cannot_see_a_colleagues_call(api: Any, fake_state: Any) -> None:
    owner, rep = await api.team("rep")
    call = fake_state.add_call(owner.org_id, owner.user_id)
    before = len(fake_state.seen_paths("/internal/transcripts"))
    resp = await rep.client.get(f"/v1/calls/{call['id']}")
    assert resp.status_code == 404
    # nothing else was asked once ingest said no
    assert len(fake_state.seen_paths("/internal/transcripts")) == before


async def test_audio_streams_with_range_pass_through(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    fake_state.audio[call["id"]] = bytes(range(256)) * 4
    full = await owner.client.get(f"/v1/calls/{call['id']}/audio")
    assert full.status_code == 200 and full.content == bytes(range(256)) * 4
    assert full.headers["content-type"] == "audio/wav"
    part = await owner.client.get(f"/v1/calls/{call['id']}/audio", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == bytes(range(10, 20))
    assert part.headers["content-range"] == "bytes 10-19/1024"
    bad = await owner.client.get(
        f"/v1/calls/{call['id']}/audio", headers={"Range": "bytes=5000-6000"}
    )
    assert bad.status_code == 416
    assert bad.json()["error"]["code"] == "range_not_satisfiable"


async def test_delete_checks_the_call_then_requests_erasure(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id)
    resp = await owner.client.delete(f"/v1/calls/{call['id']}")
    assert resp.status_code == 202
    request = fake_state.requests[resp.json()["id"]]
    assert request["kind"] == "erasure" and request["org_id"] == owner.org_id
    assert request["body"] == {"subject": {"type": "call", "id": call["id"]}}


async def test_a_rep_deletes_their_own_call_with_the_gateway_vouching_for_them(
    api: Any, fake_state: Any
) -> None:
    """Ingest checks the call with the rep's identity; privacy (which would refuse a rep a
    call subject) gets ``system`` with the rep as requester."""
    owner, rep = await api.team("rep")
    call = fake_state.add_call(owner.org_id, rep.user_id)
    resp = await rep.client.delete(f"/v1/calls/{call['id']}")
    assert resp.status_code == 202, resp.text
    request = fake_state.requests[resp.json()["id"]]
    assert (request["role"], request["requested_by"]) == ("system", rep.user_id)
    assert request["org_id"] == rep.org_id
    checked = fake_state.seen_at("GET", f"/internal/calls/{call['id']}")[-1]
    assert (checked.identity.role, checked.identity.user_id) == ("rep", rep.user_id)
    # The rep follows their request like any other of their own.
    status = await rep.client.get(f"/v1/privacy/requests/{resp.json()['id']}")
    assert status.status_code == 200 and status.json()["kind"] == "erasure"


async def test_nobody_gets_a_call_erased_that_ingest_does_not_show_them(
    api: Any, fake_state: Any
) -> None:
    owner, rep, colleague = await api.team("rep", "rep")
    stranger = await api.signup()
    call = fake_state.add_call(owner.org_id, colleague.user_id)
    erasures = len(fake_state.seen_at("POST", "/internal/requests/erasure"))
    for who in (rep, stranger):
        resp = await who.client.delete(f"/v1/calls/{call['id']}")
        assert resp.status_code == 404
    assert len(fake_state.seen_at("POST", "/internal/requests/erasure")) == erasures


async def test_role_correction_goes_to_score(api: Any, fake_state: Any) -> None:
    owner = await api.signup()
    call = fake_state.add_call(owner.org_id, owner.user_id, status="scored")
    fake_state.scores[call["id"]] = {"org_id": owner.org_id, "roles": {"0": "rep", "1": "customer"}}
    resp = await owner.client.put(
        f"/v1/calls/{call['id']}/roles", json={"roles": {"0": "customer", "1": "rep"}}
    )
    assert resp.status_code == 200
    view = (await owner.client.get(f"/v1/calls/{call['id']}")).json()
    assert view["status"] == "scored"
    assert fake_state.scores[call["id"]]["roles"] == {"0": "customer", "1": "rep"}


async def test_unreachable_service_is_503_not_500(make_api: Any) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    api = await make_api(ingest_url=dead)
    owner = await api.signup()
    for method, path in (("GET", "/v1/calls"), ("GET", "/v1/calls/x"), ("DELETE", "/v1/calls/x")):
        resp = await owner.client.request(method, path)
        assert resp.status_code == 503, (method, path, resp.text)
        assert resp.json()["error"]["code"] == "service_unavailable"
        assert resp.headers["retry-after"] == "5"
    upload = await owner.client.post("/v1/calls", files={"file": ("a.wav", b"abc", "audio/wav")})
    assert upload.status_code == 503


async def test_a_service_whose_storage_is_down_passes_its_503_and_retry_after_through(
    api: Any, fake_state: Any
) -> None:
    """Ingest answers 503 + Retry-After while S3 is down: the client is told to retry
    after that delay, not that the system failed (502)."""
    owner = await api.signup()
    fake_state.fail_next("POST", "/internal/calls", status=503)
    upload = await owner.client.post("/v1/calls", files={"file": ("a.wav", b"abc", "audio/wav")})
    assert upload.status_code == 503, upload.text
    assert upload.headers["retry-after"] == "7"
    assert upload.json()["error"]["code"] == "scripted"
    fake_state.fail_next("POST", "/internal/calls", status=500)
    broken = await owner.client.post("/v1/calls", files={"file": ("a.wav", b"abc", "audio/wav")})
    assert broken.status_code == 502 and "retry-after" not in broken.headers


async def test_a_wrong_identity_secret_is_never_passed_on_as_401(make_api: Any) -> None:
    api = await make_api(identity_secret="not-the-secret-the-services-know-0000")
    owner = await api.signup()
    resp = await owner.client.get("/v1/calls")
    assert resp.status_code == 502
    assert resp.json()["error"]["code"] == "upstream_error"


@pytest.mark.parametrize(
    ("fields", "field_bytes", "code"),
    [(550, 10, "too_many_fields"), (550, 180 * 1024, "field_too_large")],
)
async def test_a_form_with_hundreds_of_text_fields_is_refused_after_a_few(
    api: Any, fake_state: Any, fields: int, field_bytes: int, code: str
) -> None:
    """Issue 11, hole 5: the form is policed as it streams, never forwarded whole."""
    owner = await api.signup()
    boundary = "manyfieldsboundary"
    sent = [0]
    uploads_before = len(fake_state.calls)

    async def body() -> AsyncIterator[bytes]:
        head, audio, _ = _multipart(boundary, b"RIFF" * 64, "t", [])
        for piece in (head, audio, b"\r\n"):
            sent[0] += len(piece)
            yield piece
        for n in range(fields):
            part = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\n'.encode()
                + b"x" * field_bytes
                + b"\r\n"
            )
            sent[0] += len(part)
            yield part
        yield f"--{boundary}--\r\n".encode()

    resp = await owner.client.post(
        "/v1/calls",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == code
    assert len(fake_state.calls) == uploads_before, "nothing was stored"
    assert sent[0] < 2 * MB, "the gateway stopped reading after a few parts"


async def test_the_language_field_is_forwarded_and_a_bad_one_is_422_before_ingest_stores_it(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    ok = await owner.client.post(
        "/v1/calls",
        files={"file": ("a.wav", b"RIFF lang ok" * 64, "audio/wav")},
        data={"language": "pt"},
    )
    assert ok.status_code == 202, ok.text
    assert fake_state.calls[ok.json()["id"]]["language"] == "pt"
    uploads_before = len(fake_state.calls)
    for n, bad in enumerate(("xx", "english", "pt-BR", "x" * 300)):
        boundary = "languageboundary"
        head, audio, last = _multipart(boundary, b"RIFF lang bad" * 64 + bytes([n]), "t", [])
        language_part = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="language"\r\n\r\n{bad}\r\n'
        ).encode()
        # The language part after the file: refused all the same, nothing stored.
        resp = await owner.client.post(
            "/v1/calls",
            content=head + audio + b"\r\n" + language_part + last[2:],
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        assert resp.status_code == 422, (bad, resp.text)
        error = resp.json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"].startswith("body.language: language ")
    assert len(fake_state.calls) == uploads_before, "no bad upload was stored"


def _held_upload(boundary: str, release: asyncio.Event) -> Any:
    """A client body that sends the start of a form, then holds until ``release``."""
    first, audio, last = _multipart(boundary, b"\x01" * MB, "Stalled call", [])

    async def body() -> AsyncIterator[bytes]:
        yield first
        yield audio[: MB // 4]
        await release.wait()
        yield audio[MB // 4 :] + last

    return body()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"upload_idle_seconds": 0.5}, "nothing of the upload arrived for 0.5 s"),
        ({"upload_max_seconds": 0.5}, "took longer than 0.5 s to arrive"),
    ],
)
async def test_a_stalled_upload_is_408_and_its_ingest_request_closed(
    make_api: Any, fake_state: Any, limits: dict[str, float], message: str
) -> None:
    """Before, the gateway waited for the client's next bytes for ever, holding its
    request to ingest (and an ingest connection) open all the while."""
    gateway = await make_api(**limits)
    owner = await gateway.signup()
    fake_state.upload_cut.clear()
    release = asyncio.Event()
    boundary = "stalledboundary"
    try:
        # Deadlock guard, not a timing assertion: without a deadline this never answers.
        resp = await asyncio.wait_for(
            owner.client.post(
                "/v1/calls",
                content=_held_upload(boundary, release),
                headers={"content-type": f"multipart/form-data; boundary={boundary}"},
            ),
            timeout=60,
        )
    finally:
        release.set()
    assert resp.status_code == 408, resp.text
    assert resp.json()["error"]["code"] == "upload_timeout"
    assert message in resp.json()["error"]["message"]
    assert await asyncio.to_thread(fake_state.upload_cut.wait, 20)  # ingest saw it closed
