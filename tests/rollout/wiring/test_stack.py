"""The runnable stack: Makefile, supervisord.conf, .ci/run, docker-compose.yml, ensure_redis.

Docker cannot run here, so the compose file is checked for what can go wrong on paper: it
parses, every service has a health check, and it names the same entry points as `make run`'s
supervisord.conf (tests/rollout/wiring/test_supervisor.py runs that one for real).
"""

from __future__ import annotations

import configparser
import re
import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import override_settings

from rollout.management.commands import ensure_redis
from tests.support import ROOT, free_port

APP_SERVICES = ("web", "worker", "beat")
ENTRY_POINTS = {
    "web": "rollout.asgi:application",
    "worker": "-A rollout worker",
    "beat": "-A rollout beat",
}


def compose_services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services: dict[str, Any] = compose["services"]
    return services


def command_line(service: dict[str, Any]) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def supervised_programs() -> dict[str, str]:
    """``make run``'s programs (supervisord.conf) and their command lines."""
    config = configparser.RawConfigParser(inline_comment_prefixes=(";",))
    config.read(ROOT / "supervisord.conf")
    return {
        section.split(":", 1)[1]: config[section]["command"]
        for section in config.sections()
        if section.startswith(("program:", "fcgi-program:"))
    }


def run_ensure_redis(*args: str) -> str:
    out = StringIO()
    call_command("ensure_redis", *args, stdout=out)
    return out.getvalue()


class TestComposeFile:
    def test_it_runs_the_five_services_each_with_a_health_check(self) -> None:
        services = compose_services()
        assert set(services) == {"postgres", "redis", *APP_SERVICES}
        for name, service in services.items():
            assert service["healthcheck"]["test"], name

    def test_web_worker_and_beat_run_from_one_image_built_here(self) -> None:
        services = compose_services()
        images = {(services[name]["build"], services[name]["image"]) for name in APP_SERVICES}
        assert images == {(".", "rollwright:local")}

    def test_it_names_the_same_entry_points_as_make_run(self) -> None:
        services, processes = compose_services(), supervised_programs()
        # make run's HTTPS (web-tls) has no compose service: in production TLS ends at a proxy
        # (ROLLWRIGHT_HTTPS=proxy); it serves the same application as web.
        assert ENTRY_POINTS["web"] in processes.pop("web-tls")
        assert set(processes) == set(APP_SERVICES)
        for name, entry_point in ENTRY_POINTS.items():
            assert entry_point in command_line(services[name]), name
            assert entry_point in processes[name], name

    def test_web_migrates_before_serving_on_port_8000(self) -> None:
        web = compose_services()["web"]
        command = command_line(web)
        assert command.index("manage.py migrate") < command.index("daphne -b 0.0.0.0 -p 8000")
        assert "8000:8000" in web["ports"]
        assert "/healthz" in " ".join(web["healthcheck"]["test"])

    def test_app_services_wait_for_healthy_postgres_and_redis(self) -> None:
        services = compose_services()
        for name in APP_SERVICES:
            depends_on = services[name]["depends_on"]
            for dependency in ("postgres", "redis"):
                assert depends_on[dependency] == {"condition": "service_healthy"}, name

    def test_app_services_are_configured_by_the_documented_variables(self) -> None:
        services = compose_services()
        for name in APP_SERVICES:
            environment = services[name]["environment"]
            assert set(environment) >= {
                "DATABASE_URL",
                "REDIS_URL",
                "SECRET_KEY",
                "DEBUG",
                "ALLOWED_HOSTS",
                "ROLLWRIGHT_TIME_SCALE",
            }
            assert environment["DATABASE_URL"].startswith("postgresql://")
            assert environment["REDIS_URL"] == "redis://redis:6379/0"
            assert environment["DEBUG"] == "0"

    def test_worker_and_beat_health_checks_ping_their_own_node(self) -> None:
        services = compose_services()
        worker_check = " ".join(services["worker"]["healthcheck"]["test"])
        beat_check = " ".join(services["beat"]["healthcheck"]["test"])
        assert "inspect ping" in worker_check
        assert "celery@$$HOSTNAME" in worker_check
        assert "celerybeat@$$HOSTNAME" in beat_check
        assert "--enable-remote-control" in command_line(services["beat"])


class TestMakefileAndCi:
    def test_the_makefile_has_run_and_test_targets(self) -> None:
        makefile = (ROOT / "Makefile").read_text()
        for target in ("run", "test", "lint", "format", "bench", "clean"):
            assert re.search(rf"^{target}:", makefile, re.MULTILINE), target

    def test_make_run_ensures_redis_before_starting_the_supervisor(self) -> None:
        makefile = (ROOT / "Makefile").read_text()
        assert makefile.index("ensure_redis") < makefile.index("supervisord -c supervisord.conf")

    def test_ci_runs_make_test_on_postgresql_and_on_sqlite(self) -> None:
        ci = (ROOT / ".ci" / "run").read_text()
        assert "DATABASE_URL=postgresql://postgres@127.0.0.1:5432/rollwright make test" in ci
        assert "env -u DATABASE_URL make test" in ci


class TestEnsureRedis:
    def test_it_answers_when_redis_is_up(self) -> None:
        url = "redis://127.0.0.1:6379/0"
        if not ensure_redis.redis_answers(url):
            pytest.skip("no Redis at 127.0.0.1:6379")
        with override_settings(REDIS_URL=url):
            assert run_ensure_redis() == f"Redis answers at {url}.\n"

    def test_it_needs_no_redis_for_a_memory_url(self) -> None:
        with override_settings(REDIS_URL="memory://"):
            assert "no Redis needed" in run_ensure_redis()

    def test_without_redis_server_it_names_both_remedies(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("PATH", str(tmp_path))
        monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)
        with (
            override_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"),
            pytest.raises(CommandError) as refusal,
        ):
            run_ensure_redis("--var-dir", str(tmp_path))
        message = str(refusal.value)
        assert "apt-get install redis-server" in message
        assert "brew install redis" in message
        assert "docker compose up" in message
        assert list(tmp_path.iterdir()) == []

    def test_it_starts_no_server_for_a_remote_url(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(ensure_redis, "redis_answers", lambda url: False)
        with (
            override_settings(REDIS_URL="redis://redis.example:6379/0"),
            pytest.raises(CommandError, match=r"redis\.example is not local.*docker compose up"),
        ):
            run_ensure_redis("--var-dir", str(tmp_path))
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
    def test_it_starts_its_own_server_and_stops_only_that_one(self, tmp_path: Path) -> None:
        url = f"redis://127.0.0.1:{free_port()}/0"
        ours, stale = tmp_path / "ours", tmp_path / "stale"
        stale.mkdir()
        with override_settings(REDIS_URL=url):
            try:
                assert "Started redis-server" in run_ensure_redis("--var-dir", str(ours))
                assert ensure_redis.redis_answers(url)
                assert "Redis answers" in run_ensure_redis("--var-dir", str(ours))
                pid = int((ours / "redis.pid").read_text())
                (stale / "redis.pid").write_text(f"{pid + 1}\n")
                assert "left running" in run_ensure_redis("--stop", "--var-dir", str(stale))
                assert ensure_redis.redis_answers(url)
            finally:
                stopped = run_ensure_redis("--stop", "--var-dir", str(ours))
        assert stopped == f"Stopped our redis-server at {url}.\n"
        assert not ensure_redis.redis_answers(url)
