"""Service principals (A2): application identities that sign in with OAuth2 client
credentials (``az login --service-principal``), then act under their role assignments.

Each is a user (named like the service principal, with no password: it cannot log in to the
pages) and a django-oauth-toolkit application whose ``client_id`` is the ``appId`` and whose
secret is stored hashed. The secret is shown once, when made. Creating service principals is
the directory's business, not a role's: the command line and superusers (the admin) do it.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from oauth2_provider.models import AccessToken, Application

from rollout.models import ServicePrincipal
from rollout.services.errors import ServiceError, conflict

_NAME = re.compile(r"^[\w.@+-]{1,100}$")


def create_service_principal(name: str) -> tuple[ServicePrincipal, str]:
    """A new service principal called ``name``, and its secret (never stored in clear)."""
    if not _NAME.match(name):
        raise ServiceError(
            "InvalidParameter",
            f"The name '{name[:100]}' is not valid: use 1 to 100 letters, digits or . @ + - _.",
            "name",
        )
    users = get_user_model()
    if users.objects.filter(**{f"{users.USERNAME_FIELD}__iexact": name}).exists():
        raise conflict(f"A user or service principal named '{name}' already exists.")
    secret = new_secret()
    with transaction.atomic():
        user = users.objects.create_user(name)  # no password: no login to the pages
        application = Application.objects.create(
            name=name,
            client_id=str(uuid.uuid4()),
            client_secret=secret,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            user=user,
            hash_client_secret=True,
        )
        service_principal = ServicePrincipal.objects.create(
            user=user, application=application, display_name=name
        )
    return service_principal, secret


def new_secret() -> str:
    """40 characters, as long as an Azure client secret."""
    return secrets.token_urlsafe(30)


def reset_secret(service_principal: ServicePrincipal) -> str:
    """A new secret; the old one and every token issued with it stop working."""
    secret = new_secret()
    with transaction.atomic():
        application = service_principal.application
        application.client_secret = secret
        application.save(update_fields=["client_secret"])
        revoke_service_principal_tokens(service_principal)
    return secret


def revoke_service_principal_tokens(service_principal: ServicePrincipal) -> int:
    """Revoke every access token the service principal holds; returns how many."""
    deleted, _ = AccessToken.objects.filter(application=service_principal.application).delete()
    return int(deleted)


def set_enabled(service_principal: ServicePrincipal, enabled: bool) -> None:
    """Disable (no token, and its tokens refused) or enable a service principal."""
    with transaction.atomic():
        user: Any = service_principal.user
        user.is_active = enabled
        user.save(update_fields=["is_active"])
        if not enabled:
            revoke_service_principal_tokens(service_principal)
