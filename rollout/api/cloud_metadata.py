"""Cloud discovery: ``GET /metadata/endpoints?api-version=2022-09-01``, the document Azure
Resource Manager (and Azure Stack Hub) serves so that a client learns a cloud from its
resource manager's address alone.

``az cloud register -n Rollwright --endpoint-resource-manager https://host:8443/`` GETs
``{endpoint}/metadata/endpoints?api-version=2022-09-01``, which is ``//metadata/endpoints``
when the endpoint ends with a slash, and maps the one object it gets back with
``azure.cli.core.cloud._arm_to_cli_mapper`` (azure-cli 2.91). What that reads:

- ``name``;
- ``authentication.loginEndpoint`` (the MSAL authority's host, ``{loginEndpoint}/{tenant}``)
  and ``authentication.audiences[0]`` (the resource its tokens are asked for);
- ``resourceManager``, and optional endpoints (``portal``, ``graphAudience``,
  ``vmImageAliasDoc``...) that fall back to nothing when missing;
- ``suffixes``, without a fallback: the member must be there (it raises ``KeyError`` when it
  is not), though each suffix may be missing. Rollwright serves no storage, key vault or
  database, so it names none.

``authentication.tenant`` and ``identityProvider`` are Azure's members (``common``, ``AAD``) for
other clients. Every URL is built from the request, so it has the scheme and host the client
used (https behind a TLS terminator when ``ROLLWRIGHT_HTTPS=proxy``). Anonymous, as Azure's.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from rollout.api.dispatch import response_headers
from rollout.api.envelope import error_response, json_response
from rollout.api.versions import check_api_version
from rollout.services.access.oauth import origin_of
from rollout.services.errors import ServiceError

CLOUD_NAME = "Rollwright"
# The versions ARM's metadata endpoint has answered to (az 2.91 sends 2022-09-01).
METADATA_VERSIONS: tuple[str, ...] = ("2015-01-01", "2019-05-01", "2020-06-01", "2022-09-01")


def cloud_document(request: HttpRequest) -> dict[str, Any]:
    """This server as a cloud: its resource manager and its sign-in authority are itself."""
    origin = origin_of(request)
    return {
        "name": CLOUD_NAME,
        "portal": f"{origin}/",
        "resourceManager": f"{origin}/",
        "authentication": {
            "loginEndpoint": f"{origin}/",
            "audiences": list(settings.ROLLWRIGHT_TOKEN_AUDIENCES),
            "tenant": settings.ROLLWRIGHT_TENANT_ID,
            "identityProvider": "AAD",
        },
        "suffixes": {},
    }


@require_GET
def metadata_endpoints(request: HttpRequest) -> HttpResponse:
    try:
        check_api_version(request.GET.getlist("api-version"), METADATA_VERSIONS)
    except ServiceError as error:
        return response_headers(request, error_response(error))
    return response_headers(request, json_response(cloud_document(request)))
