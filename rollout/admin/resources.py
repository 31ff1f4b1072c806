"""Subscriptions, resource groups, load balancers and their health probes."""

from __future__ import annotations

from django.contrib import admin

from rollout.admin.base import RolloutAdmin
from rollout.models import HealthProbe, LoadBalancer, ResourceGroup, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(RolloutAdmin):
    list_display = ("subscription_id", "display_name", "created_at")
    search_fields = ("subscription_id", "display_name")
    ordering = ("subscription_id",)
    readonly_fields = ("created_at",)


@admin.register(ResourceGroup)
class ResourceGroupAdmin(RolloutAdmin):
    list_display = ("name", "subscription", "location", "created_at")
    list_filter = ("location", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("name", "subscription__subscription_id", "subscription__display_name")
    ordering = ("subscription__subscription_id", "name")
    autocomplete_fields = ("subscription",)
    readonly_fields = ("created_at",)


class HealthProbeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = HealthProbe
    extra = 0
    fields = (
        "name",
        "protocol",
        "port",
        "request_path",
        "interval_in_seconds",
        "number_of_probes",
        "probe_threshold",
        "endpoint",
    )


@admin.register(LoadBalancer)
class LoadBalancerAdmin(RolloutAdmin):
    inlines = (HealthProbeInline,)
    list_display = ("name", "resource_group", "location", "sku")
    list_filter = ("sku", "location")
    list_select_related = ("resource_group", "location")
    search_fields = ("name", "resource_group__name")
    ordering = ("resource_group__name", "name")
    autocomplete_fields = ("resource_group", "location")


@admin.register(HealthProbe)
class HealthProbeAdmin(RolloutAdmin):
    list_display = (
        "__str__",
        "load_balancer",
        "protocol",
        "port",
        "request_path",
        "interval_in_seconds",
        "probe_threshold",
        "endpoint",
    )
    list_filter = ("protocol", "load_balancer__sku")
    list_select_related = ("load_balancer",)
    search_fields = ("name", "load_balancer__name", "request_path")
    ordering = ("load_balancer__name", "name")
    autocomplete_fields = ("load_balancer",)
