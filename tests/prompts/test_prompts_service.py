"""The prompts SDK, in-process and over REST (the ``client`` fixture runs each test both ways)."""

from __future__ import annotations

from pathlib import Path

import pytest

from genloop.errors import InvalidInput, NotFound

MESSAGES = [{"role": "system", "content": "You help with {{ product }}."}, {"role": "user", "content": "{{ question }}"}]


def test_create_get_dedupe_and_render(client, support_yaml: Path) -> None:  # type: ignore[no-untyped-def]
    v1 = client.prompts.create_from_file("support", support_yaml, message="first")
    assert (v1.name, v1.version, v1.template_type, v1.message) == ("support", 1, "chat", "first")
    assert v1.variables == ["product", "question"] and v1.created_by == "tester"
    again = client.prompts.create_from_file("support", support_yaml, message="same content, other message")
    assert again == v1  # identical content: no new version, the original commit message kept
    v2 = client.prompts.create("support", messages=MESSAGES, model="openai:gpt-4o", message="shorter")
    assert v2.version == 2 and v2.content_hash != v1.content_hash
    assert client.prompts.get("support") == v2 == client.prompts.get("support@latest")
    assert client.prompts.get("support@1") == v1
    back = client.prompts.create_from_file("support", support_yaml)  # same as v1 but not the latest: new version
    assert back.version == 3 and back.content_hash == v1.content_hash
    with pytest.raises(Exception):  # noqa: B017 - versions are frozen (pydantic's ValidationError)
        back.version = 9

    client.prompts.create("summary", template="Summarise in {{ n }} words: {{ text }}", params={"max_tokens": 64})
    out = client.prompts.render("summary", {"text": "long story", "n": 5, "unused": True})
    assert out.text == "Summarise in 5 words: long story" and out.ref == "summary@1"
    assert out.params == {"max_tokens": 64} and out.messages is None


def test_labels_move_and_are_cached_until_changed(client) -> None:  # type: ignore[no-untyped-def]
    client.prompts.create("support", messages=MESSAGES)
    client.prompts.create("support", messages=MESSAGES, model="openai:gpt-4o-mini")
    labelled = client.prompts.label("support@1", "production")
    assert labelled.version == 1 and labelled.labels == ["production"]
    first = client.prompts.get("support@production")
    assert first.version == 1 and client.prompts.get("support@production") is first  # cached object
    client.prompts.label("support@2", "production")
    client.prompts.label("support@2", "staging")
    moved = client.prompts.get("support@production")
    assert moved.version == 2 and moved.labels == ["production", "staging"]
    rendered = client.prompts.render("support@production", {"product": "A", "question": "Q"})
    assert rendered.ref == "support@2" and rendered.model == "openai:gpt-4o-mini"
    client.prompts.unlabel("support", "staging")
    assert client.prompts.get("support@2").labels == ["production"]
    with pytest.raises(NotFound, match="has no label 'staging'"):
        client.prompts.get("support@staging")
    events = client.audit.list(entity_type="prompt", name="support").items
    assert [(e.action, e.entity_version) for e in reversed(events)] == [
        ("create", None), ("create", 1), ("create", 2), ("label", 1), ("label", 2), ("label", 2), ("unlabel", 2)]
    assert all(e.actor == "tester" for e in events)


def test_list_versions_and_diff(client) -> None:  # type: ignore[no-untyped-def]
    client.prompts.create("support", messages=MESSAGES, params={"temperature": 0.2}, description="help desk")
    edited = [MESSAGES[0], {"role": "user", "content": "Question: {{ question }}"}]
    client.prompts.create("support", messages=edited, params={"temperature": 0.5, "top_p": 0.9}, message="tune")
    client.prompts.create("other", template="{{ x }}")
    client.prompts.label("support@1", "production")
    page = client.prompts.list()
    assert [p.name for p in page.items] == ["other", "support"] and page.total == 2
    support = page.items[1]
    assert support.latest_version == 2 and support.labels == {"production": 1} and support.description == "help desk"
    assert support.updated_at is not None and support.updated_at.tzinfo is not None
    versions = client.prompts.versions("support")
    assert [v.version for v in versions.items] == [2, 1] and versions.items[1].labels == ["production"]
    assert [v.version for v in client.prompts.versions("support", offset=1, limit=1).items] == [1]
    diff = client.prompts.diff("support@production", "support")
    assert (diff.a, diff.b, diff.identical) == ("support@1", "support@2", False)
    changes = {c.field: (c.change, c.before, c.after) for c in diff.changes}
    assert changes == {
        "messages[1].content": ("changed", "{{ question }}", "Question: {{ question }}"),
        "params.temperature": ("changed", 0.2, 0.5),
        "params.top_p": ("added", None, 0.9),
    }
    assert "-  content: '{{ question }}'" in diff.unified and "+  content: 'Question: {{ question }}'" in diff.unified
    assert client.prompts.diff("support@2", "support@2").identical


def test_not_found_errors_say_what_exists(client) -> None:  # type: ignore[no-untyped-def]
    client.prompts.create("support", messages=MESSAGES)
    client.prompts.label("support", "production")
    with pytest.raises(NotFound) as info:
        client.prompts.get("support@9")
    assert (info.value.message, info.value.hint) == ("prompt 'support' has no version 9 (latest is 1)", "use support@1")
    with pytest.raises(NotFound) as info:
        client.prompts.get("support@prod")
    assert info.value.hint == "known labels: production"
    with pytest.raises(NotFound, match="prompt 'nope' does not exist in project 'default'"):
        client.prompts.render("nope", {})
    with pytest.raises(NotFound, match="has no label 'canary'"):
        client.prompts.unlabel("support", "canary")
    with pytest.raises(InvalidInput, match="invalid selector"):
        client.prompts.get("support@bad label")
    with pytest.raises(InvalidInput, match="invalid prompt name"):
        client.prompts.create("no/slash", template="x")


def test_bad_input_gives_the_same_error_and_leaves_nothing_behind(client, write_yaml, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client.prompts.create("support", messages=MESSAGES)
    client.prompts.label("support@1", "production")
    before_audit = client.audit.list(limit=1000).total

    path = write_yaml("template: '{{ text }}'\ntone: friendly\n")
    with pytest.raises(InvalidInput) as info:  # the same class, message, hint and details in both modes
        client.prompts.create_from_file("support", path)
    assert info.value.message == f"{path}:2: tone: unknown key 'tone'"
    assert info.value.hint is not None and info.value.hint.startswith("valid keys: messages, template")
    assert info.value.details == {"file": str(path), "line": 2, "field": "tone"}
    bad_files = {
        "syntax.yaml": ("messages:\n  - role: user\n    content: \"open\n", "YAML syntax error"),
        "undeclared.yaml": ("template: '{{ a }} {{ b }}'\nvariables: [a]\n", "undeclared variable 'b'"),
        "jinja.yaml": ("template: '{{ a }'\n", "jinja.yaml:1: template: template syntax error"),
    }
    for filename, (text, message) in bad_files.items():
        with pytest.raises(InvalidInput, match=message):
            client.prompts.create_from_file("support", write_yaml(text, filename))
    with pytest.raises(InvalidInput, match="does not exist"):
        client.prompts.create_from_file("support", tmp_path / "missing.yaml")
    with pytest.raises(InvalidInput, match="may not reach Python internals"):
        client.prompts.create("support", template="{{ x.__class__ }}")
    with pytest.raises(NotFound, match="has no version 7"):
        client.prompts.label("support@7", "production")
    with pytest.raises(NotFound, match="has no label 'staging'"):
        client.prompts.label("support@staging", "production")
    with pytest.raises(InvalidInput, match="invalid label"):
        client.prompts.label("support@1", "bad label")
    with pytest.raises(InvalidInput) as info:
        client.prompts.render("support", {"product": "x"})
    assert (info.value.message, info.value.hint) == ("prompt 'support@1' needs variable 'question'",
                                                     "pass variables={'question': ...}")

    assert [v.version for v in client.prompts.versions("support").items] == [1]
    assert client.prompts.get("support@production").version == 1
    assert client.audit.list(limit=1000).total == before_audit



@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_racing_a_label_move_cannot_cache_the_old_version(store, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A reader that read before the move but finishes after it must not put the old version back.

    The interleaving is forced: the reader pauses after its database read until the move committed.
    """
    import threading

    from genloop.prompts import _service

    service = _service.PromptService(store)
    service.create("p", template="one {{ x }}")
    service.create("p", template="two {{ x }}")
    service.label("p@1", "production")
    reading, moved = threading.Event(), threading.Event()
    original = _service._version

    def paused(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "reader":
            reading.set()
            moved.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(_service, "_version", paused)
    results = []
    reader = threading.Thread(target=lambda: results.append(service.get("p@production").version), name="reader")
    reader.start()
    assert reading.wait(10)
    service.label("p@2", "production")
    moved.set()
    reader.join()
    assert results == [1]  # what it read, before the move
    assert service.get("p@production").version == 2  # not the stale version it would have cached
