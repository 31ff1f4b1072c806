"""Shared admin pieces: base classes, and turning a service refusal into words.

``RolloutAdmin`` answers every permission question from the user's role assignments (R1),
not from Django's model permissions: a staff user sees the rows in the scopes they may read
(``scoping.GROUP_PATHS``), may change or delete a row where a role allows writing there,
is offered only the resource groups (scale sets, galleries...) they may write to, and an
action on selected rows runs only if every one of them may be changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.db.models import ForeignKey, Model, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from rollout.admin.scoping import group_path, scope_of_row
from rollout.services import Problem, ServiceError
from rollout.services.access.grants import Grants, grants_of
from rollout.services.access.scopes import Scope

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
        path = group_path(self.model)
        if path is not None:
            queryset = queryset.filter(grants(request).within(path, self.action("read")))
        return queryset

    # R1: permissions from role assignments (the module's docstring).

    def action(self, verb: str) -> str:
        """Azure's name of reading, writing or deleting this model's rows (Rollwright's own
        namespace for rows Azure has no type for)."""
        return f"Rollwright/{self.model._meta.model_name}/{verb}"

    def allowed(self, request: HttpRequest, verb: str, obj: Model | None) -> bool:
        if not request.user.is_active or not request.user.is_staff:
            return False
        user_grants, action = grants(request), self.action(verb)
        if obj is not None:
            return user_grants.allows(action, scope_of_row(obj))
        if group_path(self.model) is None:
            return user_grants.allows(action, Scope())
        return any(user_grants.subscriptions(action))  # somewhere

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request, "read", None)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.allowed(request, "read", obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.allowed(request, "write", None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.allowed(request, "write", obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.allowed(request, "delete", obj)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        """Offer only the resource groups (scale sets, galleries...) the user may write to."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related = db_field.related_model
        path = group_path(related) if isinstance(related, type) else None
        queryset = getattr(field, "queryset", None)
        if field is not None and path is not None and queryset is not None:
            writable = grants(request).within(path, f"Rollwright/{related._meta.model_name}/write")
            field.queryset = queryset.filter(writable)
        return field

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        """Every action runs only on rows the user may change (delete: delete)."""
        guarded: dict[str, Any] = {}
        for name, entry in super().get_actions(request).items():
            if entry is not None:
                function, _, description = entry
                guarded[name] = (self._guarded(function, name), name, description)
        return guarded

    def _guarded(self, function: Callable[..., Any], name: str) -> Callable[..., Any]:
        verb = "delete" if name == "delete_selected" else "write"

        def guarded(admin_: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            refused = [row for row in queryset if not self.allowed(request, verb, row)]
            if refused:
                names = ", ".join(str(row) for row in refused[:5])
                self.message_user(
                    request,
                    f"Your roles do not allow this on {names}"
                    f"{' and others' if len(refused) > 5 else ''}: nothing was changed.",
                    messages.ERROR,
                )
                return None
            return function(admin_, request, queryset)

        guarded.short_description = getattr(function, "short_description", name)  # type: ignore[attr-defined]
        return guarded

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


def grants(request: HttpRequest) -> Grants:
    """The user's grants, read once per request."""
    found: Grants | None = getattr(request, "_rollwright_grants", None)
    if found is None:
        found = grants_of(request.user)
        request._rollwright_grants = found  # type: ignore[attr-defined]
    return found


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
