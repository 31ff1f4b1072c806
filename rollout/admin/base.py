"""Shared admin pieces: base classes, and turning a service refusal into words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib import admin
from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from rollout.services import Problem, ServiceError

ADMIN_REASON = "admin"
ACTION_REASON = "admin action"


class RolloutAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A model admin whose ``list_select_related`` also serves the change form and the
    autocomplete answers, so a ``__str__`` that follows a foreign key costs no extra query.

    Its delete confirmation counts what a deletion takes with it ("1,000 instances") instead
    of listing every row, which for a large scale set meant thousands of links and queries.
    """

    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        related = self.list_select_related
        if isinstance(related, list | tuple) and related:
            queryset = queryset.select_related(*related)
        return queryset

    def get_deleted_objects(
        self, objs: Sequence[Model] | QuerySet[Any], request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        # django-stubs types model_objs' keys as str; they are model classes.
        model_objs = cast("dict[type[Model], set[Model]]", collector.model_objs)
        model_count = {
            str(model._meta.verbose_name_plural): len(rows) for model, rows in model_objs.items()
        }
        # As Django's own: a cascade into rows the user may not delete blocks the deletion
        # (the append-only event log among them).
        perms_needed = {
            str(model._meta.verbose_name)
            for model in model_objs
            if self.admin_site.is_registered(model)
            and not self.admin_site.get_model_admin(model).has_delete_permission(request)
        }
        summary = []
        for model, rows in model_objs.items():
            noun = model._meta.verbose_name if len(rows) == 1 else model._meta.verbose_name_plural
            summary.append(f"{len(rows):,} {noun}")
        protected = [str(obj) for obj in collector.protected]
        return summary, model_count, perms_needed, protected


class ViewOnlyAdmin(RolloutAdmin):
    """Rows only their owner writes (the engine, or the append-only event log)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ViewOnlyTabularInline(admin.TabularInline):  # type: ignore[type-arg]
    """A read-only table of children, each row linking to its own change form."""

    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


def problems_of(error: ServiceError) -> list[Problem]:
    """Every problem a refusal carries (``details`` lists them all when there are several)."""
    return list(error.details) or [Problem(error.code, error.message, error.target)]


def describe_refusal(error: ServiceError) -> str:
    """One line per problem, each with the property path to fix."""
    return " ".join(
        f"{problem.message} (target: {problem.target})" if problem.target else problem.message
        for problem in problems_of(error)
    )
