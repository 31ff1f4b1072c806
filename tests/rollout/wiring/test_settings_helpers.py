"""The typed environment helpers: a malformed value stops start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from rollout.env import env_bool, env_database, env_float, env_list, env_str, env_url
from tests.support import ROOT


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("0", False)]
)
def test_env_bool_reads_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", not expected, {"DEBUG": raw}) is expected


def test_env_bool_refuses_a_guess():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='yes' is not a boolean"):
        env_bool("DEBUG", False, {"DEBUG": "yes"})


def test_env_defaults_apply_when_unset():
    assert env_bool("DEBUG", True, {}) is True
    assert env_str("SECRET_KEY", "d", {}) == "d"
    assert env_list("ALLOWED_HOSTS", ["a"], {}) == ["a"]
    assert env_float("ROLLWRIGHT_TIME_SCALE", 1.0, {}) == 1.0


def test_env_list_splits_and_refuses_empty_items():
    assert env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a.example, b.example"}) == [
        "a.example",
        "b.example",
    ]
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS"):
        env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a,,b"})


@pytest.mark.parametrize("raw", ["fast", "nan", "inf", "0"])
def test_env_float_refuses_non_numbers_and_values_below_the_minimum(raw):
    with pytest.raises(ImproperlyConfigured, match="ROLLWRIGHT_TIME_SCALE"):
        env_float("ROLLWRIGHT_TIME_SCALE", 1.0, {"ROLLWRIGHT_TIME_SCALE": raw}, minimum=0.001)


def test_env_url_checks_the_scheme():
    assert env_url("REDIS_URL", "redis://x", ("redis",), {}) == "redis://x"
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL='http://x' must start with"):
        env_url("REDIS_URL", "redis://x", ("redis",), {"REDIS_URL": "http://x"})


def test_env_database_reads_sqlite_and_postgresql_urls():
    sqlite = env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3", {})
    assert sqlite["ENGINE"].endswith("sqlite3") and sqlite["NAME"] == "/tmp/x.sqlite3"
    postgres = env_database(
        "DATABASE_URL", "", {"DATABASE_URL": "postgresql://u:p@db.example:5432/rollwright"}
    )
    assert postgres["ENGINE"].endswith("postgresql")
    assert (postgres["HOST"], postgres["NAME"], postgres["PORT"]) == (
        "db.example",
        "rollwright",
        5432,
    )
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env_database("DATABASE_URL", "", {"DATABASE_URL": "mysql://u@h/db"})


def run_check(**environ: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(environ)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_malformed_setting_stops_start_up_naming_the_variable():
    result = run_check(DEBUG="1", ROLLWRIGHT_TIME_SCALE="fast")
    assert result.returncode != 0
    assert "ROLLWRIGHT_TIME_SCALE='fast' is not a number" in result.stderr


def test_production_start_up_needs_a_secret_key():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert run_check(DEBUG="0", SECRET_KEY="s3cret").returncode == 0
