"""The Django admin for every model in rollout.models, one module per area.

How the admin keeps the rules (STYLE 2.3: services are the only writers, and add no rules):

- A scale set's model changes only through ``rollout.services``. The change form's ``clean``
  runs ``update_scale_set_model`` with the form's changes inside a savepoint that is always
  rolled back (``forms.validate``): whatever the real call would refuse (E2 conditions from
  ``auto_upgrade_problems`` with the current extensions, E4 publisher/offer/kind, a pinned
  version that does not exist...) becomes an error on the field that fixes it, and nothing is
  saved. ``save_model`` then makes the same call for real, so events are recorded (with the
  user as actor) and E5 bumps the model version. The rules live in one place, the service;
  the admin only maps a refusal's target property to a form field.
- Fields a model update may not set (the service's ``UPDATABLE_FIELDS``) are read-only on an
  existing scale set. A new one has no service verb to dry-run: its form checks E2 with the
  same ``auto_upgrade_problems``, saves it with auto-upgrade off, creates its instances, and
  turns auto-upgrade on through ``enable_auto_upgrade``.
- Extensions are part of the model (E2, E5): the scale set shows them read-only, and the
  extension form saves or deletes one by replacing the profile through
  ``update_scale_set_model(extensions=...)``, dry-run first in the same way.
- The changelist actions "Enable/Disable automatic OS upgrade" call ``enable_auto_upgrade``
  and ``disable_auto_upgrade`` per scale set and report each refusal by name.
- The engine's rows (operations, batches, instance upgrades), the API's async operations and
  the append-only event log are view-only; API tokens can be renamed or revoked, not issued,
  and show when they expire and were last used.
- Who may see and change what is the user's role assignments' business (R1, ``base``), not
  Django's model permissions; role assignments and service principals are in ``access``.
"""

from django.contrib import admin

from rollout.admin import access, api, catalog, instances, resources, scale_sets, upgrades
from rollout.admin import gates as admin_gates  # noqa: F401  # G1, G4
from rollout.admin import notifications as admin_notifications  # noqa: F401  # G2
from rollout.admin import releases as admin_releases  # noqa: F401  # releases, windows, replication (T1-T7)

admin.site.site_header = "Rollwright administration"
admin.site.site_title = "Rollwright admin"
admin.site.index_title = "Fixtures and records"
admin.site.site_url = "/"

__all__ = ["access", "api", "catalog", "instances", "resources", "scale_sets", "upgrades"]
