from __future__ import annotations

from django.apps import AppConfig


class RolloutConfig(AppConfig):
    name = "rollout"
    verbose_name = "Rollwright"
    default_auto_field = "django.db.models.BigAutoField"
