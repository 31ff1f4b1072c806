"""The Content-Security-Policy (issue 11, item 6): every page is served with a policy that
allows this origin's scripts and styles only, and nothing in the templates or in the HTML the
scripts build needs more: no inline script, no event-handler attribute, no style attribute.
The browser side is checked in tests/e2e (no CSP violation while a rollout plays)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from rollout.models import ScaleSet
from tests.support import ROOT

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def sources() -> list[Path]:
    return [*(ROOT / "templates").rglob("*.html"), *(ROOT / "static").rglob("*.js")]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_handler_or_style_attribute(path: Path) -> None:
    text = path.read_text()
    for pattern in (INLINE_SCRIPT, HANDLER, STYLE_ATTRIBUTE):
        found = pattern.search(text)
        assert found is None, f"{path.name}: {text[found.start() : found.start() + 80]!r}"


def test_the_patterns_find_what_they_forbid() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script type="module" src="/static/a.js"></script>')
    assert not INLINE_SCRIPT.search('<script id="s" type="application/json">{}</script>')
    assert HANDLER.search('<select onchange="x()">')
    assert STYLE_ATTRIBUTE.search('<span class="bar" style="width: 3%">')


@pytest.mark.django_db
def test_pages_carry_the_policy(operator_client: Client, demo: dict[str, ScaleSet]) -> None:
    web10 = demo["web-10"]
    pages = [
        (operator_client, url)
        for url in ("/", f"/scale-sets/{web10.pk}/", f"/scale-sets/{web10.pk}/preview/")
    ]
    for client, url in [*pages, (Client(), "/login/")]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        policy = answer.headers["Content-Security-Policy"]
        directives = dict((part.split(" ")[0], part.split(" ")[1:]) for part in policy.split("; "))
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in policy
