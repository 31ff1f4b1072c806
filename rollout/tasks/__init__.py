"""Celery entry points only: each task re-reads rows by id and calls a service.

The modules are registered through ``CELERY_IMPORTS`` (settings); services queue them by name
through ``rollout.services.wakeups`` and never import this package.
"""

from __future__ import annotations
