"""Logging in and out: Django's views, with the dashboard's template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # `make run` creates demo accounts with a published password, in DEBUG only.
        context["debug_logins"] = settings.DEBUG
        return context


class LogoutView(auth_views.LogoutView):
    next_page = "dashboard:login"
