"""Members every ARM resource shares: its location, tags, ids and read-only envelope."""

from __future__ import annotations

from rollout.services.wire.schema import Obj, Str, StrMap

# Members a client may send back as it read them; never written from a request.
READ_ONLY_RESOURCE = frozenset({"id", "name", "type", "etag", "systemData"})
ARM_ID = Str(600)
LOCATION = Str(50, min_length=1)
TAGS = StrMap()
API_ENTITY_REFERENCE = Obj("ApiEntityReference", {"id": ARM_ID}, required=("id",))
