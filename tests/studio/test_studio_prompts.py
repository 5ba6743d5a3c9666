"""Studio's prompt pages: versions, labels, diff, editor, label moves with their confirmation, playground."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from genloop.audit import AuditService
from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.prompts import PromptService
from genloop.store import Store
from studio.conftest import csrf_of, login, token

V1 = "messages:\n  - role: user\n    content: 'Q: {{ question }}'\nmodel: mock:echo\n"
V2 = "messages:\n  - role: system\n    content: Be brief.\n  - role: user\n    content: 'Q: {{ question }}'\nmodel: mock:echo\n"


@pytest.fixture
def prompts(store: Store) -> PromptService:
    service = PromptService(store, "alpha", actor="ana")
    service.create_from_yaml("support", V1, message="first")
    service.create_from_yaml("support", V2, message="be brief")
    service.label("support@1", "production")
    DeploymentService(store, "alpha").create("bot", variants=[{"name": "main", "prompt": "support@production",
                                                               "model": "mock:echo"}])
    return service


def test_list_versions_labels_and_a_version(web: TestClient, prompts: PromptService) -> None:
    listing = web.get("/projects/alpha/prompts").text
    assert "support" in listing and "production → v1" in listing
    page = web.get("/projects/alpha/prompts/support").text
    assert "be brief" in page and "first" in page and page.count('name="a"') == 2
    version = web.get("/projects/alpha/prompts/support/versions/2").text
    assert "Be brief." in version and "sha256:" in version and "support@production" in version  # used by bot
    assert web.get("/projects/alpha/prompts/support/versions/9").status_code == 404


def test_diff_of_two_versions_has_a_stable_url(web: TestClient, prompts: PromptService) -> None:
    page = web.get("/projects/alpha/prompts/support/diff?a=1&b=2")
    assert page.status_code == 200
    assert "messages[0].content" in page.text or "messages" in page.text
    assert '<div class="add">+' in page.text
    assert web.get("/projects/alpha/prompts/support/diff?a=1&b=production").status_code == 200
    assert web.get("/projects/alpha/prompts/support/diff?a=1").status_code == 400


def test_editor_creates_a_version_seeded_with_the_current_one(web: TestClient, prompts: PromptService,
                                                              store: Store) -> None:
    editor = web.get("/projects/alpha/prompts/support/edit").text
    assert "Be brief." in editor  # seeded with the latest
    answer = web.post("/projects/alpha/prompts/support/versions", follow_redirects=False,
                      data={"yaml": V2.replace("Be brief.", "Be very brief."), "message": "shorter",
                            "csrf_token": csrf_of(editor)})
    assert answer.status_code == 303 and answer.headers["location"] == "/projects/alpha/prompts/support/versions/3"
    created = PromptService(store, "alpha").get("support@3")
    assert created.messages[0].content == "Be very brief." and created.created_by == "tester"
    events = AuditService(store, "alpha").list(entity_type="prompt", action="create").items
    assert any(e.entity_version == 3 for e in events)


def test_editor_errors_keep_the_text_and_name_the_line(web: TestClient, prompts: PromptService,
                                                       store: Store) -> None:
    editor = web.get("/projects/alpha/prompts/support/edit").text
    bad = "messages:\n  - role: user\n    content: '{{ unclosed'\n"
    answer = web.post("/projects/alpha/prompts/support/versions", data={"yaml": bad, "csrf_token": csrf_of(editor)})
    assert answer.status_code == 400 and "editor" in answer.text and "{{ unclosed" in answer.text
    assert PromptService(store, "alpha").versions("support").total == 2


def test_new_prompt_from_the_editor(web: TestClient, store: Store) -> None:
    page = web.get("/projects/alpha/prompts-new").text
    answer = web.post("/projects/alpha/prompts-new", follow_redirects=False,
                      data={"name": "greet", "yaml": V1, "csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert PromptService(store, "alpha").get("greet").version == 1


def test_moving_a_label_confirms_what_changes_then_moves_it(web: TestClient, prompts: PromptService,
                                                            store: Store) -> None:
    confirm = web.get("/projects/alpha/prompts/support/labels/move?label=production&to=2")
    assert confirm.status_code == 200
    assert "from <b>v1</b> to <b>v2</b>" in confirm.text and 'id="affected"' in confirm.text and "bot" in confirm.text
    assert PromptService(store, "alpha").get("support@production").version == 1  # nothing moved yet
    answer = web.post("/projects/alpha/prompts/support/labels", follow_redirects=False,
                      data={"label": "production", "to": "2", "csrf_token": csrf_of(confirm.text)})
    assert answer.status_code == 303
    assert PromptService(store, "alpha").get("support@production").version == 2
    moved = AuditService(store, "alpha").list(entity_type="prompt", action="label").items
    assert moved and moved[0].actor == "tester"


def test_a_key_outside_the_project_or_without_write_is_refused(auth_web: TestClient, auth_store: Store) -> None:
    PromptService(auth_store, "alpha").create_from_yaml("support", V1)
    PromptService(auth_store, "beta").create_from_yaml("secret", V1)
    login(auth_web, KeyService(auth_store, "alpha").create("reader", scopes=["read"]).key)
    assert auth_web.get("/projects/beta/prompts").status_code == 403
    assert auth_web.get("/projects/beta/prompts/secret/versions/1").status_code == 403
    assert auth_web.get("/projects/alpha/prompts/support").status_code == 200
    answer = auth_web.post("/projects/alpha/prompts/support/versions",
                           data={"yaml": V2, "csrf_token": token(auth_web, "/projects/alpha/prompts")})
    assert answer.status_code == 403 and "write" in answer.text
    assert PromptService(auth_store, "alpha").versions("support").total == 1
    assert auth_web.get("/projects/alpha/prompts/support/labels/move?label=production&to=1").status_code == 403


def test_template_content_is_shown_as_text(web: TestClient, store: Store) -> None:
    PromptService(store, "alpha").create_from_yaml(
        "xss", "template: '<script>alert(1)</script> {{ q }}'\nmessage: x\n".replace("message: x\n", ""),
        message="<img src=x onerror=alert(2)>")
    for path in ("/projects/alpha/prompts/xss", "/projects/alpha/prompts/xss/versions/1",
                 "/projects/alpha/prompts/xss/edit"):
        html = web.get(path).text
        assert "<script>alert(1)" not in html and "<img src=x" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in web.get("/projects/alpha/prompts/xss/versions/1").text


def test_playground_streams_a_reply_and_compares_two_versions(web: TestClient, prompts: PromptService) -> None:
    page = web.get("/projects/alpha/playground?a=support@1&b=support@2")
    assert page.status_code == 200 and page.text.count("data-pane=") == 2
    answer = web.post("/projects/alpha/playground/run", headers={"X-CSRF-Token": token(web)},
                      json={"ref": "support@2", "variables": {"question": "why?"}})
    events = [json.loads(line) for line in answer.text.splitlines()]
    assert events[0]["model"] == "mock:echo" and events[0]["rendered"][0]["content"] == "Be brief."
    assert "".join(e.get("delta", "") for e in events) == "Q: why?"
    assert events[-1]["done"] and events[-1]["output_tokens"] > 0
    # two models on one version
    two_models = web.get("/projects/alpha/playground?a=support@1&model_a=mock:echo&model_b=mock:other")
    assert two_models.text.count("data-pane=") == 2 and 'data-model="mock:other"' in two_models.text


def test_playground_errors_arrive_in_the_stream(web: TestClient, prompts: PromptService) -> None:
    answer = web.post("/projects/alpha/playground/run", headers={"X-CSRF-Token": token(web)},
                      json={"ref": "support@1", "variables": {}})
    event = json.loads(answer.text.splitlines()[-1])
    assert "question" in event["error"]
    answer = web.post("/projects/alpha/playground/run", json={"ref": "support@1", "variables": {"question": "x"}})
    assert answer.status_code == 403  # no CSRF header


def test_playground_keeps_a_result_as_version_or_example(web: TestClient, prompts: PromptService,
                                                         store: Store) -> None:
    csrf = token(web, "/projects/alpha/playground?a=support@1")
    answer = web.post("/projects/alpha/playground/save-version", follow_redirects=False,
                      data={"ref": "support@1", "model": "mock:other", "csrf_token": csrf})
    assert answer.status_code == 303
    saved = PromptService(store, "alpha").get("support")
    assert saved.version == 3 and saved.model == "mock:other" and saved.messages[0].content == "Q: {{ question }}"
    for reply in ("first answer", "second answer"):
        answer = web.post("/projects/alpha/playground/save-example", follow_redirects=False,
                          data={"dataset": "support-examples", "variables": json.dumps({"question": "why?"}),
                                "output": reply, "csrf_token": csrf})
        assert answer.status_code == 303
    rows = DatasetService(store, "alpha").read("support-examples").to_pylist()
    assert rows == [{"question": "why?", "reference": "first answer"},
                    {"question": "why?", "reference": "second answer"}]


def test_playground_runs_a_registry_model(web: TestClient, prompts: PromptService, store: Store) -> None:
    from genloop.models import ModelService

    ModelService(store, "alpha").register("echo", kind="provider", uri="mock:echo")
    page = web.get("/projects/alpha/playground?a=support@1").text
    assert 'value="echo@1"' in page  # suggested in the model box
    answer = web.post("/projects/alpha/playground/run", headers={"X-CSRF-Token": token(web)},
                      json={"ref": "support@1", "model": "echo@1", "variables": {"question": "hi"}})
    events = [json.loads(line) for line in answer.text.splitlines()]
    assert events[0]["model"] == "echo@1" and "".join(e.get("delta", "") for e in events) == "Q: hi"
