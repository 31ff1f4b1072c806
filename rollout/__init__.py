"""Rollwright's Django project and app: models, services, API, dashboard and Celery tasks."""

from __future__ import annotations

from rollout.celery import app as celery_app

__all__ = ["celery_app"]
