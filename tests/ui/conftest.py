"""Browser tests: Playwright driving Debian's Chromium against the real server on loopback.

No browser is downloaded: Chromium is ``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` does).
Each test gets a fresh SQLite store, the whole server (Studio, REST, gateway) served by uvicorn on a free
port, and a page that fails the test on any console error or uncaught exception. ``shot(page, name)``
saves a full-page screenshot under ``$GENLOOP_SCREENSHOT_DIR`` (default ``test-artifacts/screenshots``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("GENLOOP_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2]
                   / "test-artifacts" / "screenshots")

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.fspath).replace(os.sep, "/") and not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason="browser tests need Debian's Chromium at /usr/bin/chromium "
                                                    "(apt-get install chromium)"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module. Not per session: Playwright's sync API keeps an event loop running
    in the main thread while it is open, and tests after it (asyncio.run, another module's browser) would fail."""
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra has it)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'genloop.db'}",
                    artifacts_uri=str(tmp_path / "artifacts"), actor="tester", **overrides)


@pytest.fixture
def ui_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(_settings(tmp_path))
    yield store
    store.close()


@pytest.fixture
def ui_auth_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(_settings(tmp_path, auth=True))
    yield store
    store.close()


def serve(store: Store) -> BackgroundServer:
    """What ``genloop server`` serves, on ``store``, on a free loopback port."""
    from genloop.gateway import with_gateway
    from genloop.server import create_app
    from genloop.studio import with_studio

    return BackgroundServer(with_studio(with_gateway(create_app(store), store), store))


@pytest.fixture
def live(ui_store: Store) -> Iterator[BackgroundServer]:
    """The server (auth off) on loopback."""
    with serve(ui_store) as srv:
        yield srv


@pytest.fixture
def live_auth(ui_auth_store: Store) -> Iterator[BackgroundServer]:
    """The server with GENLOOP_AUTH on."""
    with serve(ui_auth_store) as srv:
        yield srv


class ConsoleErrors(list[str]):
    """Console errors and uncaught exceptions a page produced."""


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context and page; any console error or page exception fails the test at teardown."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="light")
    tab = context.new_page()
    errors = ConsoleErrors()
    tab.on("console", lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.set_default_timeout(10_000)
    tab.console_errors = errors
    yield tab
    context.close()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``<SCREENSHOTS>/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
