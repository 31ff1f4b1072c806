"""The Azure-Resource-Manager-compatible REST API, driven by the official Azure SDK.

Views parse a request, call one service, and serialise the result in Azure's shapes; every
rule lives in ``rollout.services``. ``dispatch`` authenticates, checks the api-version and
turns refusals into ARM error envelopes; ``urls`` lists the routes, ``openapi`` describes them.
"""

from __future__ import annotations
