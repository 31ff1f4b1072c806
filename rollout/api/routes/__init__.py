"""The route table: every ARM path Rollwright serves, its methods, handlers and description.

``rollout.api.urls`` routes requests from it and ``rollout.api.openapi`` describes it; adding an
operation is one ``Operation`` here (in its resource family's module) plus its handler.
"""

from __future__ import annotations

from rollout.api.routes import (
    gallery,
    gates,
    locations,
    resources,
    scale_sets,
    subscriptions,
    vm_actions,
)
from rollout.api.routing import Route

ROUTES: tuple[Route, ...] = (
    *subscriptions.ROUTES,
    *resources.ROUTES,
    *scale_sets.ROUTES,
    *vm_actions.ROUTES,
    *locations.ROUTES,
    *gallery.ROUTES,
    *gates.ROUTES,  # G1, G4: Rollwright's extension resources
)
