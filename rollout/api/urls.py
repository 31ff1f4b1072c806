"""The ARM routes, from the route table (``rollout.api.routes``), ARM's 404 for any other
path under ``/subscriptions``, and the sign-in authority ``/{tenant}/...`` (``signin``)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from rollout.api import cloud_metadata, signin
from rollout.api.dispatch import not_found_view
from rollout.api.routes import ROUTES
from rollout.api.routing import case_insensitive
from rollout.api.views.openapi import openapi_json

urlpatterns: list[URLPattern] = [
    path("openapi.json", openapi_json, name="arm-openapi"),
    # Cloud discovery; also at //metadata/endpoints, as az asks when the endpoint ends in "/".
    re_path(
        r"^(?:/?)metadata/endpoints/?$",  # (written so, as Django warns of a leading "^/")
        cloud_metadata.metadata_endpoints,
        name="cloud-metadata-endpoints",
    ),
    *(route.url() for route in ROUTES),
    re_path(
        rf"^{case_insensitive('subscriptions')}(?:/[\s\S]*)?$",
        not_found_view(),
        name="arm-not-found",
    ),
]

# The authority: {loginEndpoint}/{tenant} with this server as the login endpoint; v2.0 paths
# as Azure AD has them, and the versionless ones ADFS (and Azure AD v1) use.
TENANT = r"(?P<tenant>[A-Za-z0-9][A-Za-z0-9.-]{0,99})"
urlpatterns += [
    re_path(
        rf"^{TENANT}(?:/v2\.0)?/\.well-known/openid-configuration$",
        signin.openid_configuration,
        name="signin-openid-configuration",
    ),
    re_path(rf"^{TENANT}/oauth2(?:/v2\.0)?/token$", signin.token, name="signin-token"),
    re_path(rf"^{TENANT}/oauth2(?:/v2\.0)?/authorize$", signin.authorize, name="signin-authorize"),
    re_path(rf"^{TENANT}/discovery(?:/v2\.0)?/keys$", signin.keys, name="signin-keys"),
]
