"""Fixtures of the release tests: a six-region fleet, time 60 times faster than Azure's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rollout.services.releases.fleet import Fleet


@pytest.fixture(autouse=True)
def fast_time(settings: Any) -> None:
    settings.ROLLWRIGHT_TIME_SCALE = 60.0
    settings.ROLLWRIGHT_IMMEDIATE_TRIGGERS = False


@pytest.fixture
def fleet(db: Any) -> Fleet:
    return Fleet.build()
