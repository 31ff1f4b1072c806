"""The Azure-Resource-Manager-compatible REST API, driven by the official Azure SDK.

Views parse a request, call one service, and serialise the result in Azure's shapes; every
rule lives in ``rollout.services``. ``routes`` is the route table (paths, methods, handlers,
api-versions, parameters, body schemas): ``urls`` routes requests from it and ``openapi``
describes it. ``routing`` authenticates, checks the api-version and turns refusals into ARM
error envelopes; ``dispatch`` gives handlers the request as ARM reads it.
"""

from __future__ import annotations
