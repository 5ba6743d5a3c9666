"""Streaming output checks: secrets split across deltas, blocking mid-stream, whole-text checks at the end."""

from __future__ import annotations

import random

import pytest

from genloop.guardrails import Action, Guard, StreamGuard

KEY = "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"
CARD = "4111 1111 1111 1111"
POLICY = {
    "name": "stream",
    "stream_window": 64,
    "rules": [
        {"check": "api_key", "on": "output", "action": "redact"},
        {"check": "payment_card", "on": "output", "action": "redact"},
        {"check": "email", "on": "output", "action": "mask"},
    ],
}
ANSWER = (
    "Sure! Here is the configuration you asked for. Set OPENAI_API_KEY=" + KEY + " in your shell, then charge "
    "the test card " + CARD + " and send the receipt to ops@example.com. " + "Lorem ipsum dolor sit amet. " * 6
)


def run(stream: StreamGuard, deltas: list[str]) -> tuple[str, list[str]]:
    pieces = [stream.feed(d) for d in deltas]
    pieces.append(stream.finish())
    return "".join(pieces), pieces


def chunks(text: str, sizes: list[int]) -> list[str]:
    out, i = [], 0
    while i < len(text):
        size = sizes[len(out) % len(sizes)]
        out.append(text[i : i + size])
        i += size
    return out


@pytest.mark.parametrize("sizes", [[1], [3], [7, 2, 11], [64], [500]])
def test_stream_output_equals_whole_text_check(sizes: list[int]) -> None:
    guard = Guard(POLICY)
    expected = guard.check_output(ANSWER)
    text, _ = run(guard.stream(), chunks(ANSWER, sizes))
    assert text == expected.text
    assert KEY not in text and CARD not in text and "<<EMAIL_1>>" in text


def test_secret_split_at_every_position_is_redacted() -> None:
    guard = Guard(POLICY)
    start = ANSWER.index(KEY)
    for cut in range(start - 2, start + len(KEY) + 2):
        stream = guard.stream()
        text, pieces = run(stream, [ANSWER[:cut], ANSWER[cut:]])
        assert KEY not in text and "[REDACTED:secret]" in text
        # No emitted piece ever holds a fragment of the key that could be reassembled.
        assert not any(KEY[:12] in piece or KEY[-12:] in piece for piece in pieces)
        (finding,) = [f for f in stream.findings if f.kind == "openai"]
        assert ANSWER[finding.start : finding.end] == KEY


def test_text_is_emitted_before_the_end_and_held_back_at_most_the_window() -> None:
    stream = Guard(POLICY).stream()
    emitted = ""
    fed = ""
    for delta in chunks("word " * 200, [5]):
        fed += delta
        emitted += stream.feed(delta)
        assert len(fed) - len(emitted) <= stream.window + stream.window // 4 + 5
    assert emitted and emitted + stream.finish() == "word " * 200


def test_findings_have_offsets_into_the_whole_answer() -> None:
    stream = Guard(POLICY).stream()
    run(stream, chunks(ANSWER, [9]))
    spans = {f.check: ANSWER[f.start : f.end] for f in stream.findings}
    assert spans == {"api_key": KEY, "payment_card": CARD, "email": "ops@example.com"}
    assert stream.result().findings == stream.findings


def test_block_stops_the_stream() -> None:
    guard = Guard({"name": "b", "rules": [{"check": "banned_terms", "action": "block", "terms": ["kaboom"]}]})
    stream = guard.stream(window=16)
    text = "All fine so far, nothing to see here at all. Then kaboom happens. More text after that."
    out, _ = run(stream, chunks(text, [4]))
    assert stream.blocked and "kaboom" not in out and "'banned_terms'" in (stream.block_reason or "")
    assert stream.feed("more") == "" and stream.finish() == ""
    assert [f.action for f in stream.findings] == [Action.BLOCK]


def test_whole_text_checks_run_at_finish() -> None:
    guard = Guard({"name": "j", "rules": [
        {"check": "max_length", "on": "output", "action": "flag", "max_chars": 10},
        {"check": "json_schema", "on": "output", "action": "block", "schema": {"type": "object"}},
    ]})
    stream = guard.stream()
    text, _ = run(stream, ['{"a":', ' 1}'])
    assert text == '{"a": 1}' and not stream.blocked and stream.findings == []
    stream = guard.stream()
    run(stream, ["[1, 2, 3,", " 4, 5]"])
    assert stream.blocked and {f.check for f in stream.findings} == {"json_schema", "max_length"}


def test_input_placeholders_are_restored_even_when_split() -> None:
    guard = Guard({"name": "m", "stream_window": 16, "rules": [{"check": "email", "on": "input", "action": "mask"}]})
    masks = guard.check_input("I am dana@example.com").masks
    answer = "Hello! I will write to <<EMAIL_1>> shortly, " + "and then some more words to stream. " * 3
    for cut in range(20, 40):
        text, _ = run(guard.stream(masks=masks), [answer[:cut], answer[cut:]])
        assert text == answer.replace("<<EMAIL_1>>", "dana@example.com")


def test_random_chunking_never_leaks() -> None:
    guard = Guard(POLICY)
    rng = random.Random(3)
    for _ in range(30):
        sizes = [rng.randint(1, 40) for _ in range(5)]
        text, pieces = run(guard.stream(), chunks(ANSWER, sizes))
        assert KEY not in text and CARD not in text
