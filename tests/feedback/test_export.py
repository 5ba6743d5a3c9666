"""Feedback to data: corrections and likes/dislikes on traces exported to SFT and preference dataset versions.

Traces are recorded through TraceService and feedback through FeedbackService on the test store; the
export runs through ``client`` (in-process, then over REST on the same store) and the CLI.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genloop.errors import InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id

SYSTEM = {"role": "system", "content": "Answer in one word."}
FRANCE = [SYSTEM, {"role": "user", "content": "Capital of France?"}]


def trace(store: Store, messages: Any, answer: str | None = None, *, deployment: str = "bot") -> str:
    """Record a gateway-shaped trace; returns its id."""
    trace_id = new_trace_id()
    output = {"role": "assistant", "content": answer} if answer is not None else None
    TraceService(store).record([{"id": trace_id, "deployment": deployment, "input": messages, "output": output,
                                 "started_at": 1_700_000_000.0}])
    return trace_id


def test_sft_export_dedups_and_traces_lineage(client, store: Store) -> None:
    fb = FeedbackService(store)
    t1 = trace(store, FRANCE, "Lyon")
    t2 = trace(store, FRANCE, "Marseille")
    t3 = trace(store, "Capital of Germany?", "Munich")
    fb.create(t1, name="answer", correction="Paris")
    fb.create(t1, value=0.1)  # a score is no correction: not considered
    fb.create(t2, name="answer", value=False, correction={"role": "assistant", "content": "Paris"})  # same row
    fb.create(t3, name="answer", correction=[{"role": "user", "content": "?"}, {"role": "assistant",
                                                                                "content": "Berlin"}])
    fb.create(trace(store, FRANCE, "Nice", deployment="other"), correction="Paris!")
    with pytest.raises(NotFound):  # feedback on a trace that does not exist is refused
        fb.create(new_trace_id(), correction="trace never stored")
    fb.create(trace(store, None, None), correction="input not captured")

    result = client.feedback.export(kind="sft", name="support-sft", deployment="bot")
    assert (result.created, result.kind, result.considered, result.exported) == (True, "sft", 4, 2)
    assert (result.feedback_used, result.traces) == (2, 2)
    assert result.skipped == {"duplicate": 1, "no_trace_content": 1}
    version = result.dataset
    assert (version.ref, version.kind, version.num_rows, version.source_run_id) == (
        "support-sft@1", "chat", 2, result.run_id)
    assert "feedback" in version.message and result.run_id in version.message and "deployment 'bot'" in version.message
    assert set(version.tags) == {"feedback", "sft"}
    assert client.datasets.head("support-sft") == [
        {"messages": [*FRANCE, {"role": "assistant", "content": "Paris"}]},
        {"messages": [{"role": "user", "content": "Capital of Germany?"}, {"role": "assistant", "content": "Berlin"}]},
    ]

    run = client.runs.get(result.run_id)
    assert (run.kind, run.name, run.status) == ("data", "feedback export", "succeeded")
    assert run.outputs == ["dataset:support-sft@1"]
    assert sorted(run.inputs) == sorted([f"trace:{t1}", f"trace:{t3}"])
    assert run.params["deployment"] == "bot" and run.params["redact_pii"] is False
    assert run.summary["trace_ids"] == sorted([t1, t3]) and run.summary["trace_ids_hash"] == result.trace_ids_hash
    lineage = client.runs.lineage("dataset:support-sft@1")
    assert lineage.produced_by is not None and lineage.produced_by.id == result.run_id
    assert lineage.input_trace_count == 2 and set(lineage.input_traces) == {t1, t3}  # the traffic it came from

    again = client.feedback.export(kind="sft", name="support-sft", deployment="bot")
    assert (again.created, again.dataset.ref) == (False, "support-sft@1")

    everything = client.feedback.export(kind="sft", name="support-sft")
    assert (everything.considered, everything.exported, everything.dataset.ref) == (5, 3, "support-sft@2")
    assert everything.skipped == {"duplicate": 1, "no_trace_content": 1}


def test_preference_pairs_from_corrections_and_votes(client, store: Store) -> None:
    fb = FeedbackService(store)
    haiku = [{"role": "user", "content": "Write a haiku about rain."}]
    good = trace(store, haiku, "Soft rain on the roof")
    fb.create(good, name="thumbs", value=True)
    fb.create(good, name="thumbs", value=True)
    fb.create(trace(store, [{"role": "user", "content": "  Write a haiku\nabout rain. "}], "rain rain rain"),
              name="thumbs", value=False)  # the same prompt once whitespace is collapsed
    fb.create(trace(store, haiku, "It is raining."), name="stars", value=1.0)  # a dislike below 2
    fb.create(trace(store, haiku, "Drops fall, the day sighs"), name="stars", value=3.0)  # neither: not considered
    tie = trace(store, haiku, "Wet.")
    fb.create(tie, name="thumbs", value=True)
    fb.create(tie, name="thumbs", value=False)
    fb.create(trace(store, [{"role": "user", "content": "A limerick?"}], "There once was..."), value=True)
    corrected = trace(store, FRANCE, "Lyon")
    fb.create(corrected, name="answer", correction="Paris")
    fb.create(trace(store, FRANCE, "Paris"), name="answer", correction=" Paris ")  # no better than the answer

    result = client.feedback.export(kind="preference", name="prefs", like_threshold=4, dislike_threshold=2)
    assert (result.dataset.kind, result.exported, result.considered, result.feedback_used) == ("preference", 3, 9, 5)
    assert result.skipped == {"conflicting": 2, "no_pair": 1, "same_answer": 1}
    rows = client.datasets.head("prefs")
    answer = lambda text: [{"role": "assistant", "content": text}]  # noqa: E731
    assert rows == [
        {"prompt": FRANCE, "chosen": answer("Paris"), "rejected": answer("Lyon")},
        {"prompt": haiku, "chosen": answer("Soft rain on the roof"), "rejected": answer("rain rain rain")},
        {"prompt": haiku, "chosen": answer("Soft rain on the roof"), "rejected": answer("It is raining.")},
    ]
    assert len(client.runs.get(result.run_id).inputs) == result.traces == 4


def test_pii_redaction_and_dedup_after_it(client, store: Store) -> None:
    fb = FeedbackService(store)
    ask = [{"role": "user", "content": "Who do I contact? I am at +44 20 7946 0958"}]
    fb.create(trace(store, ask, "nobody"), correction="Write to jane.doe@example.com")
    fb.create(trace(store, ask, "no idea"), correction="Write to john.roe@example.org")

    plain = client.feedback.export(kind="sft", name="contacts-raw")
    assert plain.exported == 2 and plain.redactions == {}
    redacted = client.feedback.export(kind="sft", name="contacts", redact_pii=True)
    assert (redacted.exported, redacted.skipped) == (1, {"duplicate": 1})  # equal once the emails are gone
    assert redacted.redactions == {"email": 1, "phone": 1}  # in the rows exported
    messages = client.datasets.head("contacts")[0]["messages"]
    assert messages[0]["content"] == "Who do I contact? I am at [REDACTED:phone]"
    assert messages[1] == {"role": "assistant", "content": "Write to [REDACTED:email]"}
    assert client.runs.get(redacted.run_id).params["policy"]["name"] == "feedback-export-pii"

    emails_only = {"name": "emails-only", "rules": [{"check": "email", "action": "mask"}]}
    custom = client.feedback.export(kind="sft", name="contacts-custom", policy=emails_only)
    assert (custom.exported, custom.redactions) == (1, {"email": 1})
    assert "+44 20 7946 0958" in client.datasets.head("contacts-custom")[0]["messages"][0]["content"]
    with pytest.raises(InvalidInput, match="no redact or mask rule"):
        client.feedback.export(kind="sft", name="x", policy={"name": "flags", "rules": [
            {"check": "email", "action": "flag"}]})


def test_nothing_to_export_and_bad_arguments(client, store: Store) -> None:
    since = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="no feedback with corrections in project 'default' since 2030-01-01"
                                           ".*nothing exported"):
        client.feedback.export(kind="sft", name="empty", since=since)
    with pytest.raises(InvalidInput, match=r"unknown export kind 'dpo'.*sft, preference"):
        client.feedback.export(kind="dpo", name="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="preference exports only"):
        client.feedback.export(kind="sft", name="x", like_threshold=4)
    with pytest.raises(InvalidInput, match="must be below like_threshold"):
        client.feedback.export(kind="preference", name="x", like_threshold=2, dislike_threshold=2)
    with pytest.raises(InvalidInput, match="dataset name"):
        client.feedback.export(kind="sft", name="bad name!")

    FeedbackService(store).create(trace(store, None, None), correction="Paris")
    FeedbackService(store).create(trace(store, FRANCE, "Paris"), value=True)
    with pytest.raises(InvalidInput, match=r"none of the 1 feedback items .* \(no_trace_content: 1\)"):
        client.feedback.export(kind="sft", name="empty")
    with pytest.raises(InvalidInput, match="no_pair: 1"):
        client.feedback.export(kind="preference", name="empty", feedback_name="score")
    assert client.datasets.list().total == 0
    assert client.runs.list(kind="data").total == 0


def test_export_cli(cli, store: Store, tmp_path: Path) -> None:
    FeedbackService(store).create(trace(store, FRANCE, "Lyon"), correction="Paris, mail paris@example.com")
    done = cli("feedback", "export", "--kind", "sft", "--name", "cli-sft", "--deployment", "bot", "--redact-pii",
               "--json")
    assert done.code == 0, done.err
    data = done.json()
    assert (data["dataset"]["name"], data["exported"], data["redactions"]) == ("cli-sft", 1, {"email": 1})
    text = cli("feedback", "export", "--kind", "sft", "--name", "cli-sft", "--since", "2000-01-01")
    assert text.code == 0 and "cli-sft@2" in text.out and "1 sft rows from 1 traces" in text.out
    policy = tmp_path / "policy.yaml"
    policy.write_text("name: mails\nrules:\n  - {check: email, action: redact}\n")
    custom = cli("feedback", "export", "-k", "sft", "-n", "cli-sft", "--policy", str(policy), "--json").json()
    assert (custom["dataset"]["version"], custom["redactions"]) == (3, {"email": 1})  # v1 content, after v2
    bad = cli("feedback", "export", "--kind", "kto", "--name", "x")
    assert bad.code == 1 and "unknown export kind 'kto'" in bad.err and "sft, preference" in bad.err


def test_feedback_package_stays_light() -> None:
    """Tracing and the gateway import genloop.feedback; the export schemas (and pyarrow) load on first use."""
    code = ("import sys, genloop.feedback as f; assert 'pyarrow' not in sys.modules; "
            "assert f.FeedbackExport.__name__ == 'FeedbackExport'; assert 'genloop.datasets' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
