"""The dashboard's routes (included at the site root by ``rollout.urls``)."""

from __future__ import annotations

from django.urls import path

from rollout.dashboard import actions, gates, instance_actions, pages
from rollout.dashboard.auth import LoginView, LogoutView

app_name = "dashboard"

urlpatterns = [
    path("", pages.fleet, name="fleet"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("fleet/rows/<int:pk>/", pages.fleet_row, name="fleet_row"),
    path("scale-sets/<int:pk>/", pages.scale_set_live, name="scale_set"),
    path("scale-sets/<int:pk>/preview/", pages.preview, name="preview"),
    path("scale-sets/<int:pk>/history/", pages.history, name="history"),
    path(
        "scale-sets/<int:pk>/upgrades/<int:operation_pk>/replay/",
        pages.replay,
        name="replay",
    ),
    path("scale-sets/<int:pk>/rehearsal/", pages.rehearsal, name="rehearsal"),
    # actions (POST, operators only)
    path("scale-sets/<int:pk>/auto-upgrade/", actions.set_auto_upgrade, name="auto_upgrade"),
    path("scale-sets/<int:pk>/upgrade/start/", actions.start_upgrade, name="start"),
    path("scale-sets/<int:pk>/upgrade/pause/", actions.pause, name="pause"),
    path("scale-sets/<int:pk>/upgrade/resume/", actions.resume, name="resume"),
    path("scale-sets/<int:pk>/upgrade/cancel/", actions.cancel, name="cancel"),
    path("scale-sets/<int:pk>/upgrade/approve/", actions.approve, name="approve"),
    path("scale-sets/<int:pk>/fault-rules/", actions.add_rule, name="add_fault_rule"),
    path(
        "scale-sets/<int:pk>/instances/action/",
        instance_actions.instance_action_view,
        name="instance_action",
    ),
    path(
        "scale-sets/<int:pk>/fault-rules/<int:rule_pk>/remove/",
        actions.remove_rule,
        name="remove_fault_rule",
    ),
    # G1, G4: gates, checkpoints and bake time; promote past a checkpoint
    path("scale-sets/<int:pk>/gates/", gates.gates_page, name="gates"),
    path("scale-sets/<int:pk>/gates/set/", gates.set_gate, name="set_gate"),
    path("scale-sets/<int:pk>/gates/<str:name>/remove/", gates.remove_gate, name="remove_gate"),
    path("scale-sets/<int:pk>/checkpoints/", gates.set_checkpoint_policy, name="checkpoints"),
    path("scale-sets/<int:pk>/upgrade/promote/", gates.promote_upgrade, name="promote"),
]
