"""Who may use Rollwright, and what they may do where.

- ``grants``, ``roles``, ``scopes``: role assignments at a scope decide every face's answer
  (R1), with Azure's ``AuthorizationFailed`` when they refuse.
- ``assignments``: giving and taking roles, audited (B7).
- ``subscriptions``: a subscription's first use, and what ``/subscriptions`` and ``/tenants``
  list.
- ``tokens``: the ARM API's own bearer tokens (expiring, revocable).
- ``service_principals`` and ``oauth``: application identities signing in with OAuth2 client
  credentials (A2), on django-oauth-toolkit.
"""

from __future__ import annotations
