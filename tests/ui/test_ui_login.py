"""Journey: log in to Studio with an API key (auth on), move around by keyboard, log out."""

from __future__ import annotations

from typing import Any

from genloop.auth import KeyService
from genloop.datasets import DatasetService
from genloop.server import BackgroundServer
from genloop.store import Store
from ui.conftest import shot


def test_log_in_with_a_key_and_out(page: Any, live_auth: BackgroundServer, ui_auth_store: Store) -> None:
    DatasetService(ui_auth_store, "alpha", actor="ana").create("golden", [{"q": "a"}])
    key = KeyService(ui_auth_store, "alpha").create("ana", scopes=["read", "write"]).key

    page.goto(live_auth.url + "/projects/alpha/audit")
    assert "/login" in page.url
    shot(page, "login")
    page.fill("input[name=key]", key)
    page.click("button.primary")
    page.wait_for_url("**/projects/alpha/audit")
    assert page.locator("#audit-rows").inner_text().count("golden") >= 1
    cookie = next(c for c in page.context.cookies() if c["name"] == "genloop_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shot(page, "audit")

    page.keyboard.press("g")
    page.keyboard.press("h")
    page.wait_for_url(live_auth.url + "/")
    assert page.locator("a[href='/projects/alpha']").count() >= 1
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")

    page.click("text=Log out")
    page.wait_for_url("**/login")
    page.goto(live_auth.url + "/projects/alpha")
    assert "/login" in page.url


def test_theme_toggle_switches_and_is_remembered(page: Any, live: BackgroundServer, ui_store: Store) -> None:
    DatasetService(ui_store, "alpha").create("golden", [{"q": "a"}])
    page.goto(live.url + "/projects/alpha")
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
    page.reload()
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "dark"
    shot(page, "project-dark")
    page.click("#theme-toggle")
    assert page.evaluate("document.documentElement.getAttribute('data-theme')") == "light"
    shot(page, "project")
