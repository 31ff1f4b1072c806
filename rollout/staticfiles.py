"""Static files in production: WhiteNoise's compressed, hashed copies once ``collectstatic``
has run; until then, the files of static/ under their own names instead of a 500.

Django's manifest storage raises for any ``{% static %}`` without a manifest entry, so a
production server started before ``collectstatic`` answered 500 on every page, the login page
first. Without a manifest at all, this storage names each file as it is; WhiteNoise serves it
from static/ (``WHITENOISE_USE_FINDERS``), uncompressed and uncached. Once collected, a name
missing from the manifest is still an error, as it should be.
"""

from __future__ import annotations

from typing import Any

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestOrSourceStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    def stored_name(self, name: str) -> Any:
        if not self.hashed_files:  # no manifest: collectstatic has not run
            return name
        return super().stored_name(name)
