"""The README's production configuration (issue 11, item 7): ``check --deploy`` is clean, and
the recipe (migrate, collectstatic, daphne with DEBUG=0 behind a TLS terminator) serves the
login page and its assets; so does a server started before collectstatic."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.support import ROOT, Server, database_url, environment

pytestmark = pytest.mark.integration


def production_env(static_root: Path, **extra: str) -> dict[str, str]:
    """The README's "Running in production" variables (TLS at a terminator)."""
    return environment(
        settings="rollout.settings",
        database_url=database_url(),
        redis_url="memory://",
        debug=False,
        extra={
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,rollwright.example.com",
            "ROLLWRIGHT_HTTPS": "proxy",
            "ROLLWRIGHT_STATIC_ROOT": str(static_root),
            **extra,
        },
    )


def manage(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def get(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=20) as answer:
            return answer.status, answer.read().decode(errors="replace"), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace"), dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.django_db
def test_check_deploy_is_clean_in_the_production_configuration(tmp_path: Path) -> None:
    for https in ("proxy", "on"):
        env = production_env(tmp_path / "static", ROLLWRIGHT_HTTPS=https)
        result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout


@pytest.mark.django_db
def test_plain_http_is_reported_by_check_deploy(tmp_path: Path) -> None:
    env = production_env(tmp_path / "static", ROLLWRIGHT_HTTPS="off")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("collected", [True, False], ids=["collectstatic", "no-collectstatic"])
def test_the_production_recipe_serves_the_login_page(tmp_path: Path, collected: bool) -> None:
    env = production_env(tmp_path / "static")
    if collected:
        result = manage(env, "collectstatic", "--noinput")
        assert result.returncode == 0, result.stderr
    with Server(tmp_path / "logs", env=env) as web:
        status, _, headers = get(f"{web.url}/login/")
        assert status == 301 and headers["Location"].startswith("https://")
        status, page, headers = get(f"{web.url}/login/", **{"X-Forwarded-Proto": "https"})
        assert status == 200, page[:2000]
        assert "max-age=" in headers["Strict-Transport-Security"]
        assert "Secure" in headers["Set-Cookie"]  # the CSRF cookie
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheet is not None
        hashed = re.search(r"\.[0-9a-f]{12}\.css$", stylesheet.group(1)) is not None
        assert hashed is collected
        status, css, _ = get(web.url + stylesheet.group(1), **{"X-Forwarded-Proto": "https"})
        assert status == 200 and css


@pytest.mark.django_db
def test_healthz_tells_an_anonymous_caller_nothing_about_the_database(monkeypatch: Any) -> None:
    from rollout.dashboard import health

    class Broken:
        def cursor(self) -> Any:
            raise RuntimeError('connection to server at "db.internal" (10.0.0.7), port 5432')

    monkeypatch.setattr(health, "connection", Broken())
    answer = Client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unhealthy", "database": "unavailable"}
