"""Typed readers for configuration from the environment.

A malformed value stops start-up with ``ImproperlyConfigured`` naming the variable, instead of
being guessed at (``DEBUG=yes`` is refused, not read as true).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off", ""}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    return (os.environ if environ is None else environ).get(name)


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    """Read a boolean written as 1/0, true/false or on/off (any case)."""
    raw = _raw(name, environ)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false or on/off.")


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    raw = _raw(name, environ)
    return default if raw is None or raw.strip() == "" else raw.strip()


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    """Read one of ``choices`` (any case)."""
    value = env_str(name, default, environ).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} must be one of {', '.join(choices)}.")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    """Read a comma-separated list; blanks between commas are refused."""
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return list(default)
    items = [item.strip() for item in raw.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name}={raw!r} has an empty item: write a,b,c.")
    return items


def env_float(
    name: str,
    default: float,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: float | None = None,
) -> float:
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a finite number.")
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum:g}.")
    return value


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = 0,
) -> int:
    raw = _raw(name, environ)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_url(
    name: str,
    default: str,
    schemes: tuple[str, ...],
    environ: Mapping[str, str] | None = None,
) -> str:
    """Read a URL whose scheme is one of ``schemes``."""
    value = env_str(name, default, environ)
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name}={value!r} must start with one of {allowed}.")
    return value


def env_database(
    name: str, default: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read a database URL (sqlite:///path or postgres://...) into a DATABASES entry."""
    import dj_database_url

    value = env_url(name, default, ("sqlite", "postgres", "postgresql"), environ)
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(value, conn_max_age=0))
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={value!r} is not a database URL: {error}") from None
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={value!r} names no database.")
    return config


GUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def env_guid(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """Read a GUID (``00000000-0000-0000-0000-000000000000``), in lower case."""
    value = env_str(name, default, environ)
    if not GUID_PATTERN.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a GUID.")
    return value.lower()
