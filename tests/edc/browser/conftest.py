"""Playwright (sync API) against pytest-django's live server, driving Debian's Chromium.

Without /usr/bin/chromium or a working Playwright the browser tests are skipped, saying why;
with NAKIP_REQUIRE_BROWSER=1 (CI) they fail instead. NAKIP_SCREENSHOTS=1 writes PNGs of the key
pages to docs/screenshots/; NAKIP_CHROMIUM names another Chromium binary.
Note: with the default in-memory SQLite the live server shares one connection between threads,
so a test reads the database only once the page it drove has finished loading.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread


class _SerialLiveServer(WSGIServer):
    """The live server answering one request at a time, on its own thread's connection.

    Django's threaded live server hands the single in-memory SQLite connection to a new thread
    per request; Chromium's parallel requests (a page, its CSS, a live check) then collide in
    "cannot start a transaction within a transaction". Serial answers cannot collide, and
    Django closes each connection after its response because the server is not threaded.
    """

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override  # already applied by the thread


LiveServerThread.server_class = _SerialLiveServer

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse the
# test's own database calls (and the live server's) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("NAKIP_CHROMIUM", "/usr/bin/chromium")  # Debian's Chromium
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 860}


def _unavailable(reason: str) -> None:
    if os.environ.get("NAKIP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (NAKIP_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason} (NAKIP_REQUIRE_BROWSER=1 makes this a failure)")


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """One Chromium for the whole session (skipped or failed when it cannot start)."""
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"the playwright package cannot be imported ({exc})")
    manager = sync_playwright()
    try:
        pw = manager.start()
    except Exception as exc:  # Playwright's driver failed to start
        _unavailable(f"Playwright could not start ({exc})")
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # e.g. missing shared libraries or a broken binary
        manager.__exit__(None, None, None)
        _unavailable(f"Playwright could not launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    yield browser
    browser.close()
    manager.__exit__(None, None, None)


@pytest.fixture
def new_page(chromium_browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """Factory of fresh pages (own cookies each), base URL = the live server."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        ctx = chromium_browser.new_context(
            base_url=live_server.url, viewport=viewport or VIEWPORT, locale="en-GB"
        )
        ctx.set_default_timeout(20_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def shot() -> Callable[[Any, str], None]:
    """Save a full-page PNG of the page as docs/screenshots/<name>.png when NAKIP_SCREENSHOTS=1."""

    def save(page: Any, name: str) -> None:
        if os.environ.get("NAKIP_SCREENSHOTS") != "1":
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return save
