"""Principals (R1): the users, and the users behind service principals, that roles are given
to; their object ids and the names Azure's messages call them by."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings


def object_id(principal: Any) -> str:
    """The principal's object id (``oid``): a GUID derived from the tenant and the user's key,
    so it never changes and needs no row of its own."""
    return str(uuid.uuid5(uuid.UUID(settings.ROLLWRIGHT_TENANT_ID), f"principal:{principal.pk}"))


def service_principal_of(principal: Any) -> Any:
    """The principal's ServicePrincipal row, or None for a person."""
    from rollout.models import ServicePrincipal

    try:
        return principal.service_principal
    except (AttributeError, ServicePrincipal.DoesNotExist):
        return None


def client_name(principal: Any) -> str:
    """How Azure names the caller in ``AuthorizationFailed``: a service principal by its
    ``appId``, a person by their user name."""
    service_principal = service_principal_of(principal)
    if service_principal is not None:
        return str(service_principal.app_id)
    return str(principal.get_username())


def principal_kind(principal: Any) -> str:
    """Azure's ``principalType``: ``ServicePrincipal`` or ``User``."""
    return "ServicePrincipal" if service_principal_of(principal) is not None else "User"
