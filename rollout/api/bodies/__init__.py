"""Request bodies, described once: the route table names the body each operation parses, and
``rollout.api.openapi`` publishes it.

Member names are Azure's (azure-mgmt-compute 39 ``rest_field`` names). Members Azure has but
Rollwright does not model are ``tolerated``: accepted, ignored, and never echoed back. Members
that a model field stores come from the resource's field table (``rollout.services.wire``);
these modules add the objects' names, their nesting, and what is tolerated.
"""

from __future__ import annotations
