"""Debian's headless Chromium under Playwright (never a downloaded browser), and logging in.

with sync_playwright() as playwright:
    browser = playwright.chromium.launch(**chromium_launch_options())
    page = log_in(browser, stack.url, "operator", DEMO_PASSWORD)
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def chromium_launch_options() -> dict[str, Any]:
    """Keyword arguments of ``playwright.chromium.launch``: Debian's binary, quiet flags."""
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS)}


def log_in(
    browser: Any,
    base_url: str,
    username: str,
    password: str,
    *,
    viewport: tuple[int, int] = (1440, 1000),
    timeout_ms: float | None = None,
) -> Any:
    """A fresh browser context logged in through the login page; returns its page, on the
    fleet page. ``timeout_ms`` becomes the context's default time-out."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    if timeout_ms is not None:
        context.set_default_timeout(timeout_ms)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


def session_cookie(username: str) -> str:
    """A logged-in session for ``username`` (a Cookie header value), for clients that are not
    browsers, such as a benchmark's websocket clients."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
