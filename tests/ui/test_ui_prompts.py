"""Journey: write a new prompt version in the editor, try it in the playground (mock provider, streamed),
compare two versions side by side, then move the production label after reading what it changes."""

from __future__ import annotations

from typing import Any

from genloop.datasets import DatasetService
from genloop.deployments import DeploymentService
from genloop.prompts import PromptService
from genloop.server import BackgroundServer
from genloop.store import Store
from ui.conftest import shot

V1 = "messages:\n  - role: user\n    content: 'Q: {{ question }}'\nmodel: mock:echo\n"


def test_edit_try_and_promote_a_prompt(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    prompts = PromptService(ui_store, "alpha", actor="ana")
    prompts.create_from_yaml("support", V1, message="first")
    prompts.label("support@1", "production")
    DeploymentService(ui_store, "alpha").create("support-bot", variants=[
        {"name": "main", "prompt": "support@production", "model": "mock:echo"}])

    page.goto(live.url + "/projects/alpha/prompts")
    shot(page, "prompts-list")
    page.click("a[href='/projects/alpha/prompts/support']")
    page.wait_for_url("**/prompts/support")
    page.click("text=New version")
    page.wait_for_url("**/prompts/support/edit")
    editor = page.locator("textarea[name=yaml]")
    assert "Q: {{ question }}" in editor.input_value()  # seeded with the current version
    editor.fill("messages:\n  - role: system\n    content: Answer in one word.\n"
                "  - role: user\n    content: 'Q: {{ question }}'\nmodel: mock:echo\n")
    page.fill("input[name=message]", "one-word answers")
    shot(page, "prompt-editor")
    page.click("button:has-text('Create version')")
    page.wait_for_url("**/prompts/support/versions/2")
    assert PromptService(ui_store, "alpha").get("support@2").message == "one-word answers"
    assert page.locator("text=Answer in one word.").count() >= 1
    assert page.locator("header.topbar").count() == 1  # the page after an action is a whole page
    shot(page, "prompt-version")

    page.click("text=Open in playground")
    page.wait_for_url("**/playground?a=support@2")
    page.fill("textarea[data-var=question]", "what is 2+2?")
    page.click("[data-pane=a] [data-run]")
    page.wait_for_function("document.querySelector('[data-pane=a] [data-stats]').textContent.includes('tokens')")
    assert page.locator("[data-pane=a] [data-output]").inner_text() == "Q: what is 2+2?"
    page.click("[data-pane=a] [data-rendered-box] summary")
    assert "Answer in one word." in page.locator("[data-pane=a] [data-rendered]").inner_text()

    page.goto(live.url + "/projects/alpha/playground?a=support@1&b=support@2")
    page.fill("[data-pane=a] textarea[data-var=question]", "left")
    page.fill("[data-pane=b] textarea[data-var=question]", "right")
    page.click("#run-all")
    page.wait_for_function("[...document.querySelectorAll('[data-stats]')].every(e => e.textContent.includes('tokens'))")
    assert page.locator("[data-pane=a] [data-output]").inner_text() == "Q: left"
    assert page.locator("[data-pane=b] [data-output]").inner_text() == "Q: right"
    shot(page, "playground")
    page.click("[data-pane=b] summary:has-text('Keep this result')")
    page.fill("[data-pane=b] input[name=dataset]", "support-examples")
    page.click("[data-pane=b] [data-save-example]")
    page.wait_for_url("**/datasets/support-examples/1")
    assert DatasetService(ui_store, "alpha").read("support-examples").to_pylist() == [
        {"question": "right", "reference": "Q: right"}]

    page.goto(live.url + "/projects/alpha/prompts/support/diff?a=1&b=2")
    assert page.locator(".diff .add").count() >= 1
    shot(page, "prompt-diff")

    page.goto(live.url + "/projects/alpha/prompts/support/versions/2")
    page.fill("input[name=label]", "production")
    page.click("button:has-text('Point label here')")
    page.wait_for_url("**/labels/move?**")
    assert "support-bot" in page.locator("#affected").inner_text()
    assert PromptService(ui_store, "alpha").get("support@production").version == 1  # not before confirming
    shot(page, "prompt-move-label")
    page.click("#confirm-move")
    page.wait_for_url("**/prompts/support?moved=production")
    assert PromptService(ui_store, "alpha").get("support@production").version == 2
    shot(page, "prompt-versions")
