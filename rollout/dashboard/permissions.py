"""Who may see and who may act: every page needs a login; actions need the operator permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

OPERATE = "rollout.operate_scaleset"

View = Callable[..., HttpResponse]


def can_operate(user: Any) -> bool:
    """Operators enable, start, pause, resume, cancel and rehearse; everyone else reads."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(OPERATE))


def operator_action(view: View) -> View:
    """A POST by a logged-in operator (CSRF is checked by the middleware); 403 for the rest."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_operate(request.user):
            raise PermissionDenied("Only operators may act on scale sets.")
        return view(request, *args, **kwargs)

    return login_required(require_POST(checked))
