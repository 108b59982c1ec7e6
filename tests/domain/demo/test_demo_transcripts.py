"""Demo transcripts read like real conversations: times run forward, sentences are English."""

from __future__ import annotations

import re

import pytest

from qa_app.domain.demo.calls import generate_demo
from qa_app.domain.imports.calls import parse_transcript_text

# Phrases the old slot-filling produced: a call's type used as if it were a topic.
BAD_PHRASES = (
    "about quick win",
    "quick win",
    "about escalation",
    "about delayed shipment",
    "about billing correction",
    "about policy exception",
    "quick_win",
    "delayed_shipment",
    "billing_correction",
    "policy_exception",
)
SLOT_MARKER = re.compile(r"[{}]|\$\w|%\(")
SENTENCE_END = (".", "?", "!")


@pytest.fixture(scope="module")
def calls():
    return generate_demo().calls


def test_turn_times_strictly_increase_with_plausible_gaps(calls):
    for call in calls:
        offsets = [turn.offset_seconds for turn in call.transcript]
        if call.channel == "email":
            assert offsets == [None] * len(offsets), call.call_id
            continue
        assert None not in offsets, call.call_id
        assert offsets[0] == 0, call.call_id
        gaps = [later - earlier for earlier, later in zip(offsets, offsets[1:], strict=False)]
        assert all(gap > 0 for gap in gaps), (call.call_id, offsets)
        assert all(2 <= gap <= 45 for gap in gaps), (call.call_id, gaps)
        # Whole seconds, so the [m:ss] stamps the transcript shows also increase.
        assert all(float(offset).is_integer() for offset in offsets), call.call_id


def test_longer_turns_take_longer(calls):
    """Across the demo, a long turn is followed by a longer gap than a short one."""
    short, long = [], []
    for call in calls:
        if call.channel != "voice":
            continue
        turns = call.transcript
        for turn, following in zip(turns, turns[1:], strict=False):
            gap = following.offset_seconds - turn.offset_seconds
            words = len(turn.text.split())
            (short if words <= 8 else long if words >= 30 else []).append(gap)
    assert short and long
    assert sum(long) / len(long) > 2 * sum(short) / len(short)


def test_every_turn_is_a_finished_english_sentence(calls):
    for call in calls:
        for position, turn in enumerate(call.transcript):
            where = (call.call_id, position, turn.text)
            assert turn.speaker in ("Agent", "Customer"), where
            assert turn.text == turn.text.strip() and "\n" not in turn.text, where
            assert turn.text[0].isupper(), where
            assert turn.text.endswith(SENTENCE_END), where
            assert not SLOT_MARKER.search(turn.text), where
            lowered = turn.text.lower()
            assert not any(bad in lowered for bad in BAD_PHRASES), where
            assert "  " not in turn.text and " ." not in turn.text and " ," not in turn.text, where
            assert ".." not in turn.text and ",," not in turn.text, where


def test_no_two_agent_turns_in_a_call_say_the_same_thing(calls):
    for call in calls:
        agent_lines = [t.text for t in call.transcript if t.speaker == "Agent"]
        assert len(agent_lines) == len(set(agent_lines)), call.call_id


def test_calls_do_not_all_read_the_same(calls):
    greetings = {c.transcript[0].text.split(",")[0] for c in calls}
    summaries = {c.transcript[4].text[:25] for c in calls}
    assert len(greetings) >= 4 and len(summaries) >= 8


def test_transcripts_survive_the_importers_text_format(calls):
    """Written as '[m:ss] Speaker: text' lines, as a CSV import holds them, a demo transcript
    reads back turn for turn."""
    for call in calls:
        lines = []
        for turn in call.transcript:
            stamp = ""
            if turn.offset_seconds is not None:
                minutes, seconds = divmod(int(turn.offset_seconds), 60)
                stamp = f"[{minutes:02d}:{seconds:02d}] "
            lines.append(f"{stamp}{turn.speaker}: {turn.text}")
        assert parse_transcript_text("\n".join(lines)) == call.transcript, call.call_id
