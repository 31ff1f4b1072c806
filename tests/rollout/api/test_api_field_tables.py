"""One field table per resource type is the one source of its wire facts: every model field has
exactly one row, the policy rows are the engine's members, the OpenAPI description shows each
row's wire type, and the services change exactly what the table says.
(``test_api_field_tables_round_trip`` checks the parser and the serializer row by row.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from orchestrator.policy import AutomaticOSUpgradePolicy, RollingUpgradePolicy, wire_members
from rollout.admin.scale_sets import ScaleSetAdmin
from rollout.api.openapi import document
from rollout.api.serializers.scale_sets import scale_set_wire
from rollout.models import ScaleSet
from rollout.services.scale_sets.creation import CREATE_ONLY_FIELDS
from rollout.services.scale_sets.updates import MODEL_FIELDS, UPDATABLE_FIELDS
from rollout.services.upgrades.operations import policy_for, rolling_policy_of
from rollout.services.wire.fields import Change, Field, FieldTable, Via
from rollout.services.wire.gallery import (
    GALLERY_FIELDS,
    GALLERY_IMAGE_FIELDS,
    GALLERY_IMAGE_VERSION_FIELDS,
    TARGET_REGION_FIELDS,
)
from rollout.services.wire.resources import RESOURCE_GROUP_FIELDS
from rollout.services.wire.scale_sets import (
    AUTOMATIC_OS_UPGRADE_POLICY,
    EXTENSION_FIELDS,
    ROLLING_UPGRADE_POLICY,
    SCALE_SET_FIELDS,
)
from rollout.services.wire.schema import Int, Obj, Str
from tests.rollout.api.conftest import VMSS, body_of, error_of, scale_set_body
from tests.rollout.api.field_samples import at, placed, sample_of, wire_sample

TABLES = {
    "VirtualMachineScaleSet": SCALE_SET_FIELDS,
    "VirtualMachineScaleSetExtension": EXTENSION_FIELDS,
    "ResourceGroup": RESOURCE_GROUP_FIELDS,
    "Gallery": GALLERY_FIELDS,
    "GalleryImage": GALLERY_IMAGE_FIELDS,
    "GalleryImageVersion": GALLERY_IMAGE_VERSION_FIELDS,
    "TargetRegion": TARGET_REGION_FIELDS,
}
# Each table's request shapes in the OpenAPI description: (component, the update shape?).
SHAPES = {
    **{name: ((name, False),) for name in TABLES},
    "VirtualMachineScaleSet": (
        ("VirtualMachineScaleSet", False),
        ("VirtualMachineScaleSetUpdate", True),
    ),
}
DESCRIBED_ROWS = [
    (component, update, row)
    for name, table in TABLES.items()
    for component, update in SHAPES[name]
    for row in table
    if row.node is not None
]
POLICIES = {
    ROLLING_UPGRADE_POLICY: RollingUpgradePolicy,
    AUTOMATIC_OS_UPGRADE_POLICY: AutomaticOSUpgradePolicy,
}
POLICY_ROWS = [row for row in SCALE_SET_FIELDS if row.parent in POLICIES]


def described(component: str, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI schema of the member at ``path`` of ``component``, and its object's."""
    schemas = document()["components"]["schemas"]
    holder = schemas[component]
    *parents, name = path.split(".")
    for parent in parents:
        nested = holder["properties"][parent]
        holder = schemas[nested["$ref"].rsplit("/", 1)[-1]]
    return holder["properties"][name], holder


class TestEveryModelFieldHasItsRow:
    @pytest.mark.parametrize("table", TABLES.values(), ids=TABLES)
    def test_each_field_of_the_model_has_exactly_one_row(self, table: FieldTable) -> None:
        model_fields = table.model._meta.concrete_fields
        fields = {field.name for field in model_fields if not field.primary_key}
        counts = Counter(row.model for row in table)
        assert set(counts) == fields
        # Azure spells the patch mode in windowsConfiguration or in linuxConfiguration.
        assert {name for name, count in counts.items() if count > 1} <= {"patch_mode"}

    @pytest.mark.parametrize("table", TABLES.values(), ids=TABLES)
    def test_wire_paths_are_unique_but_for_the_image_id(self, table: FieldTable) -> None:
        paths = Counter(row.wire for row in table if row.wire)
        repeated = {path for path, count in paths.items() if count > 1}
        assert repeated <= {"properties.virtualMachineProfile.storageProfile.imageReference.id"}

    def test_a_row_the_table_copies_needs_a_wire_type(self) -> None:
        with pytest.raises(ValueError, match="wire type"):
            Field("sku.size", "sku_name")
        with pytest.raises(ValueError, match="off the wire"):
            Field(None, "sku_name", Str())

    def test_a_table_names_only_fields_its_model_has(self) -> None:
        with pytest.raises(ValueError, match="no fields"):
            FieldTable(ScaleSet, Field("sku.size", "size", Str()))

    def test_a_member_cannot_be_both_modelled_and_tolerated(self) -> None:
        with pytest.raises(ValueError, match="both modelled and tolerated"):
            Obj("Sku", {"name": Str()}, tolerated=frozenset({"name"}))


class TestThePolicyRowsAreTheEnginesMembers:
    @pytest.mark.parametrize("path", POLICIES)
    def test_the_rows_under_a_policy_are_its_members_in_order(self, path: str) -> None:
        members = wire_members(POLICIES[path])
        rows = [row for row in SCALE_SET_FIELDS if row.parent == path]
        assert [(row.member, row.model) for row in rows] == [
            (item.wire, item.attribute) for item in members
        ]
        assert all(row.via is Via.TABLE and row.change is Change.UPDATABLE for row in rows)

    @pytest.mark.parametrize("row", POLICY_ROWS, ids=lambda row: row.member)
    def test_the_model_field_has_the_engines_default_and_range(self, row: Field) -> None:
        item = next(item for item in wire_members(POLICIES[row.parent]) if item.wire == row.member)
        assert SCALE_SET_FIELDS.default(row) == item.default
        field = ScaleSet._meta.get_field(row.model)
        if item.type is int:
            lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
            highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
            unsigned = isinstance(field, models.PositiveSmallIntegerField)
            assert max(lows, default=0 if unsigned else None) == item.minimum
            assert min(highs) == item.maximum
            assert row.node == Int(item.minimum, item.maximum)

    @pytest.mark.django_db
    def test_an_upgrade_runs_under_the_scale_sets_policy_fields(self, web10: ScaleSet) -> None:
        for row in POLICY_ROWS:
            setattr(web10, row.model, sample_of(row)[1])
        web10.max_batch_instance_percent = 35
        rolling = rolling_policy_of(web10)
        assert rolling.to_wire() == at(scale_set_wire(web10), ROLLING_UPGRADE_POLICY)
        assert policy_for(web10, "automatic").rolling == rolling  # useRollingUpgradePolicy
        assert policy_for(web10, "automatic").automatic_rollback is False

    def test_the_admin_shows_each_policy_in_its_own_fieldset(self) -> None:
        fieldsets = dict(ScaleSetAdmin.fieldsets)
        for title, policy in (
            ("Rolling upgrade policy", RollingUpgradePolicy),
            ("Automatic OS upgrade policy", AutomaticOSUpgradePolicy),
        ):
            attributes = tuple(item.attribute for item in wire_members(policy))
            assert fieldsets[title]["fields"] == attributes


class TestTheOpenApiDescriptionIsTheTables:
    @pytest.mark.parametrize(
        ("component", "update", "row"),
        DESCRIBED_ROWS,
        ids=[f"{component}.{row.wire}:{row.model}" for component, _, row in DESCRIBED_ROWS],
    )
    def test_each_row_is_described_with_its_wire_type(
        self, component: str, update: bool, row: Field
    ) -> None:
        if update and not row.in_update:
            with pytest.raises(KeyError):
                described(component, row.wire)
            return
        schema, holder = described(component, row.wire)
        assert schema == row.node.openapi({})
        assert (row.member in holder.get("required", [])) is row.required


class TestTheServicesChangeWhatTheTableSays:
    def test_the_updatable_and_create_only_fields_are_the_tables(self) -> None:
        updatable = {row.model for row in SCALE_SET_FIELDS if row.change is Change.UPDATABLE}
        assert updatable == UPDATABLE_FIELDS
        assert MODEL_FIELDS <= UPDATABLE_FIELDS
        assert CREATE_ONLY_FIELDS == {
            "sku_tier": "sku.tier",
            "platform_fault_domain_count": "properties.platformFaultDomainCount",
            "computer_name_prefix": "properties.virtualMachineProfile.osProfile.computerNamePrefix",
        }

    @pytest.mark.django_db
    @pytest.mark.parametrize("row", POLICY_ROWS, ids=lambda row: row.member)
    def test_a_patch_changes_each_policy_member(self, row: Field, arm: Any, web10: Any) -> None:
        value, parsed, shown = sample_of(row)
        response = arm("PATCH", f"{VMSS}/web10", placed(row.wire, value))
        assert response.status_code == 200, body_of(response)
        assert at(body_of(arm("GET", f"{VMSS}/web10")), row.wire) == shown
        web10.refresh_from_db()
        assert getattr(web10, row.model) == parsed

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        "row", [SCALE_SET_FIELDS.row(name) for name in CREATE_ONLY_FIELDS], ids=CREATE_ONLY_FIELDS
    )
    def test_a_put_may_repeat_a_create_only_member_but_not_change_it(
        self, row: Field, arm: Any, web10: Any
    ) -> None:
        body = scale_set_body(zones=["1", "2", "3"])
        body["sku"]["capacity"] = web10.capacity
        del body["properties"]["virtualMachineProfile"]["osProfile"]["computerNamePrefix"]
        current = row.node.dump(getattr(web10, row.model))
        if current:  # web10 has no computer name prefix, and a request cannot state ""
            assert arm("PUT", f"{VMSS}/web10", placed(row.wire, current, body)).status_code == 200
        changed = "Premium" if row.member == "tier" else wire_sample(row.node)
        response = arm("PUT", f"{VMSS}/web10", placed(row.wire, changed, body))
        assert response.status_code == 400
        error = error_of(response)
        assert (error["code"], error["target"]) == ("PropertyChangeNotAllowed", row.wire)
