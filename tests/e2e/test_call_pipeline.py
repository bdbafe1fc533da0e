"""Upload → call-uploaded → call-transcribed → call-scored, seen through the gateway."""

from __future__ import annotations

import json

import pytest

from clashtor_callgen import generate_call, short_script
from transcribe.domain.quality import speaker_attribution, word_error_rate

from .client import Clashtor
from .scan import scan_everything
from .stack import Stack

PARTICIPANTS = [
    {"name": "Rita Rep", "email": "rita.rep@seller.example", "role": "rep"},
    {"name": "Carl Customer", "email": "carl.customer@buyer.example", "role": "customer"},
]


@pytest.mark.parametrize("layout", ["stereo", "mono"])
def test_an_uploaded_call_is_transcribed_and_scored(
    api: Clashtor, stack: Stack, layout: str
) -> None:
    generated = generate_call(
        short_script(), layout=layout, fmt="mp3" if layout == "mono" else "wav"
    )
    created = api.upload(generated.path, title=f"Discovery ({layout})", participants=PARTICIPANTS)
    assert created["status"] == "uploaded"

    call = api.wait_for_status(created["id"], "scored", timeout=300)

    utterances = call["transcript"]["utterances"]
    said = " ".join(u["text"] for u in utterances)
    wer = word_error_rate(generated.text, said)
    print(f"\n{layout}: WER {wer:.3f}")
    assert wer < 0.2
    hyp = [(w["word"], u["speaker"]) for u in utterances for w in u["words"]]
    accuracy = speaker_attribution(
        generated.words(), hyp, best_permutation=layout == "mono"
    ).accuracy
    print(f"{layout}: speaker attribution {accuracy:.3f}")
    assert accuracy >= 0.9
    assert {u["role"] for u in utterances} == {"rep", "customer"}
    assert call["duration"] == pytest.approx(generated.turns[-1].end, abs=1.5)
    assert {p["email"] for p in call["participants"]} == {p["email"] for p in PARTICIPANTS}
    assert call["metrics"] and call["scorecard"] and call["feedback"]
    assert call["trackers"], "the script names budget, decision maker and timeline"

    audio = api.http.get(f"/v1/calls/{created['id']}/audio", headers=api.bearer)
    assert audio.status_code == 200 and audio.content == generated.read_bytes()

    # At rest nothing is plain: no audio header in S3, no transcript text anywhere stored.
    phrase = "who else is involved in the decision"
    assert phrase in said.lower()
    leaks = scan_everything(stack, [phrase, "carl.customer@buyer.example", "Carl Customer"])
    assert leaks == {}, leaks


def test_another_organization_cannot_see_the_call(api: Clashtor, stack: Stack) -> None:
    generated = generate_call(short_script(), layout="stereo", fmt="flac")
    created = api.upload(generated.path, title="Private", participants=PARTICIPANTS)
    other = Clashtor(stack.gateway)
    other.signup()
    try:
        for path in ("", "/audio", "/events"):
            resp = other.http.get(f"/v1/calls/{created['id']}{path}", headers=other.bearer)
            assert resp.status_code == 404, resp.text
            assert resp.json()["error"]["code"]
        assert created["id"] not in {
            c["id"] for c in other.http.get("/v1/calls", headers=other.bearer).json()["items"]
        }
    finally:
        other.close()


ORDER = ["uploaded", "transcribing", "transcribed", "scoring", "scored"]


def test_call_events_follow_a_real_upload_to_scored_in_order(api: Clashtor) -> None:
    # a pause of its own makes bytes no other test uploads (an identical upload would be
    # answered with that earlier, already scored call)
    generated = generate_call(short_script(), layout="stereo", fmt="wav", pause=0.65)
    created = api.upload(generated.path, title="Followed", participants=PARTICIPANTS)
    seen: list[tuple[str, int | None]] = []
    url = f"/v1/calls/{created['id']}/events"
    with api.http.stream("GET", url, headers=api.bearer, timeout=300) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():  # the stream ends by itself once scored
            if line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                assert data["id"] == created["id"]
                seen.append((data["status"], data["progress_percent"]))
    statuses = [status for status, _ in seen]
    print(f"\nstatus events: {seen}")
    assert statuses[-1] == "scored"
    assert "transcribing" in statuses  # Whisper takes seconds; the stream polls twice a second
    places = [ORDER.index(s) for s in statuses]
    assert places == sorted(places)  # never backwards
    percents = [p for s, p in seen if s == "transcribing"]
    assert percents == sorted(percents) and all(0 <= p <= 100 for p in percents)
    assert api.call(created["id"]).json()["status"] == "scored"
