"""One field table per resource type is the one source of its wire facts: every model field has
its row, the policy rows are the engine's members, and the parser, the serializer, the OpenAPI
description and the services' updatable and create-only fields all agree with every row."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from orchestrator.policy import AutomaticOSUpgradePolicy, RollingUpgradePolicy, wire_members
from rollout.admin.scale_sets import ScaleSetAdmin
from rollout.api.bodies.scale_sets import SCALE_SET, SCALE_SET_UPDATE
from rollout.api.openapi import document
from rollout.api.scale_set_input import model_input
from rollout.api.serializers.scale_sets import extension_wire, scale_set_wire
from rollout.api.views.common import reload
from rollout.models import Extension, ScaleSet
from rollout.services.scale_sets.creation import CREATE_ONLY_FIELDS
from rollout.services.scale_sets.updates import MODEL_FIELDS, UPDATABLE_FIELDS
from rollout.services.upgrades.operations import policy_for, rolling_policy_of
from rollout.services.wire.fields import Change, Field, FieldTable, Via
from rollout.services.wire.scale_sets import (
    AUTOMATIC_OS_UPGRADE_POLICY,
    EXTENSION_FIELDS,
    ROLLING_UPGRADE_POLICY,
    SCALE_SET_FIELDS,
)
from rollout.services.wire.schema import (
    Arr,
    Base64,
    Bool,
    Duration,
    Enum,
    Int,
    JsonObject,
    Node,
    Obj,
    Str,
    StrMap,
)
from tests.rollout.api.conftest import VMSS, body_of, error_of, scale_set_body

POLICIES = {
    ROLLING_UPGRADE_POLICY: RollingUpgradePolicy,
    AUTOMATIC_OS_UPGRADE_POLICY: AutomaticOSUpgradePolicy,
}
POLICY_ROWS = [row for row in SCALE_SET_FIELDS if row.parent in POLICIES]
COPIED_ROWS = [row for row in SCALE_SET_FIELDS if row.via is Via.TABLE]
EXTENSION_ROWS = [row for row in EXTENSION_FIELDS if row.via is Via.TABLE]
MINIMAL_EXTENSION = {
    "name": "e",
    "properties": {"publisher": "p", "type": "t", "typeHandlerVersion": "1.0"},
}


def wire_sample(node: Node | None) -> Any:
    """A valid wire value of ``node``, unlike any model default."""
    if isinstance(node, Int):
        return node.maximum
    if isinstance(node, Bool):
        return True
    if isinstance(node, Enum):
        return node.values[-1]
    if isinstance(node, Duration):
        return "PT1M30S"
    if isinstance(node, Base64):
        return "ZWNobyBoaQ=="
    if isinstance(node, Str):
        return "1" if node.pattern else "x" * min(node.max_length, 5)
    if isinstance(node, StrMap):
        return {"team": "web"}
    if isinstance(node, Arr):
        return [wire_sample(node.item)]
    if isinstance(node, JsonObject):
        return {"port": 80}
    raise AssertionError(f"no sample for {node}")


def placed(path: str, value: Any, into: dict[str, Any] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(into or {})
    target = body
    *parents, name = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    target[name] = value
    return body


def at(body: dict[str, Any], path: str) -> Any:
    for name in path.split("."):
        body = body[name]
    return body


def described(
    spec: dict[str, Any], component: str, path: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OpenAPI schema of the member at ``path`` of ``component``, and its object's."""
    schemas = spec["components"]["schemas"]
    holder = schemas[component]
    *parents, name = path.split(".")
    for parent in parents:
        nested = holder["properties"][parent]
        holder = schemas[nested["$ref"].rsplit("/", 1)[-1]]
    return holder["properties"][name], holder


class TestEveryModelFieldHasItsRow:
    @pytest.mark.parametrize(
        "table", [SCALE_SET_FIELDS, EXTENSION_FIELDS], ids=["ScaleSet", "Extension"]
    )
    def test_each_field_of_the_model_has_exactly_one_row(self, table: FieldTable) -> None:
        fields = {
            field.name for field in table.model._meta.concrete_fields if not field.primary_key
        }
        counts = Counter(row.model for row in table)
        assert set(counts) == fields
        # Azure spells the patch mode in windowsConfiguration or in linuxConfiguration.
        assert {name for name, count in counts.items() if count > 1} <= {"patch_mode"}

    def test_wire_paths_are_unique_but_for_the_image_id(self) -> None:
        paths = Counter(row.wire for row in SCALE_SET_FIELDS if row.wire)
        repeated = {path for path, count in paths.items() if count > 1}
        assert repeated == {"properties.virtualMachineProfile.storageProfile.imageReference.id"}


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
            setattr(web10, row.model, row.node.parse(wire_sample(row.node), row.wire))
        web10.max_batch_instance_percent = 35
        rolling = rolling_policy_of(web10)
        assert rolling.to_wire() == at(scale_set_wire(web10), ROLLING_UPGRADE_POLICY)
        assert policy_for(web10, "automatic").rolling == rolling  # useRollingUpgradePolicy
        assert (
            policy_for(web10, "automatic").automatic_rollback is False
        )  # disableAutomaticRollback

    def test_the_admin_shows_each_policy_in_its_own_fieldset(self) -> None:
        fieldsets = dict(ScaleSetAdmin.fieldsets)
        assert fieldsets["Rolling upgrade policy"]["fields"] == tuple(
            item.attribute for item in wire_members(RollingUpgradePolicy)
        )
        assert fieldsets["Automatic OS upgrade policy"]["fields"] == tuple(
            item.attribute for item in wire_members(AutomaticOSUpgradePolicy)
        )


class TestTheOpenApiDescriptionIsTheTables:
    @pytest.mark.parametrize(
        "row",
        [row for row in SCALE_SET_FIELDS if row.node],
        ids=lambda row: f"{row.wire}:{row.model}",
    )
    def test_each_scale_set_row_is_described_with_its_wire_type(self, row: Field) -> None:
        spec = document()
        for component, shown in (
            ("VirtualMachineScaleSet", True),
            ("VirtualMachineScaleSetUpdate", row.in_update),
        ):
            if not shown:
                with pytest.raises(KeyError):
                    described(spec, component, row.wire)
                continue
            schema, holder = described(spec, component, row.wire)
            assert schema == row.node.openapi({}), component
            required = row.required and component == "VirtualMachineScaleSet"
            assert (row.member in holder.get("required", [])) is required

    @pytest.mark.parametrize("row", EXTENSION_ROWS, ids=lambda row: row.wire)
    def test_each_extension_row_is_described_with_its_wire_type(self, row: Field) -> None:
        schema, holder = described(document(), "VirtualMachineScaleSetExtension", row.wire)
        assert schema == row.node.openapi({})
        assert (row.member in holder.get("required", [])) is row.required


class TestTheParserReadsEachRow:
    @pytest.mark.parametrize("row", COPIED_ROWS, ids=lambda row: row.wire)
    def test_a_scale_set_member_becomes_its_model_field(self, row: Field) -> None:
        value = wire_sample(row.node)
        shapes = [(SCALE_SET, {"location": "westeurope"})]
        if row.in_update:
            shapes.append((SCALE_SET_UPDATE, {}))
        for shape, base in shapes:
            parsed = shape.parse(placed(row.wire, value, base), "")
            fields = model_input(parsed).fields
            assert fields == {row.model: row.node.parse(value, row.wire)}, shape.name

    @pytest.mark.parametrize("row", EXTENSION_ROWS, ids=lambda row: row.wire)
    def test_an_extension_member_becomes_its_model_field(self, row: Field) -> None:
        value = wire_sample(row.node)
        item = placed(row.wire, value, MINIMAL_EXTENSION)
        body = placed("properties.virtualMachineProfile.extensionProfile.extensions", [item])
        (spec,) = model_input(SCALE_SET_UPDATE.parse(body, "")).extensions
        assert getattr(spec, row.model) == row.node.parse(value, row.wire)


@pytest.mark.django_db
class TestTheSerializerWritesEachRow:
    @pytest.mark.parametrize("row", COPIED_ROWS, ids=lambda row: row.wire)
    def test_a_model_field_becomes_its_scale_set_member(self, row: Field, web10: ScaleSet) -> None:
        value = wire_sample(row.node)
        scale_set = reload(web10)
        setattr(scale_set, row.model, row.node.parse(value, row.wire))
        if row.write_only:
            with pytest.raises(KeyError):
                at(scale_set_wire(scale_set), row.wire)
        else:
            assert at(scale_set_wire(scale_set), row.wire) == value

    @pytest.mark.parametrize("row", EXTENSION_ROWS, ids=lambda row: row.wire)
    def test_a_model_field_becomes_its_extension_member(self, row: Field, web10: ScaleSet) -> None:
        extension = Extension(scale_set=web10, name="e", publisher="p", extension_type="t")
        value = wire_sample(row.node)
        setattr(extension, row.model, row.node.parse(value, row.wire))
        if row.write_only:
            with pytest.raises(KeyError):
                at(extension_wire(web10, extension), row.wire)
        else:
            assert at(extension_wire(web10, extension), row.wire) == value

    def test_an_empty_zone_list_is_left_out(self, tiny3: ScaleSet) -> None:
        assert "zones" not in scale_set_wire(reload(tiny3))


class TestTheServicesChangeWhatTheTableSays:
    def test_the_updatable_fields_are_the_updatable_rows(self) -> None:
        assert {
            row.model for row in SCALE_SET_FIELDS if row.change is Change.UPDATABLE
        } == UPDATABLE_FIELDS
        assert MODEL_FIELDS <= UPDATABLE_FIELDS
        assert CREATE_ONLY_FIELDS == {
            "sku_tier": "sku.tier",
            "platform_fault_domain_count": "properties.platformFaultDomainCount",
            "computer_name_prefix": "properties.virtualMachineProfile.osProfile.computerNamePrefix",
        }

    @pytest.mark.django_db
    @pytest.mark.parametrize("row", POLICY_ROWS, ids=lambda row: row.member)
    def test_a_patch_changes_each_policy_member(
        self, row: Field, arm: Any, web10: ScaleSet
    ) -> None:
        value = wire_sample(row.node)
        response = arm("PATCH", f"{VMSS}/web10", placed(row.wire, value))
        assert response.status_code == 200, body_of(response)
        assert at(body_of(arm("GET", f"{VMSS}/web10")), row.wire) == value
        web10.refresh_from_db()
        assert getattr(web10, row.model) == row.node.parse(value, row.wire)

    @pytest.mark.django_db
    @pytest.mark.parametrize(
        "row", [SCALE_SET_FIELDS.row(name) for name in CREATE_ONLY_FIELDS], ids=lambda row: row.wire
    )
    def test_a_put_may_repeat_a_create_only_member_but_not_change_it(
        self, row: Field, arm: Any, web10: ScaleSet
    ) -> None:
        body = scale_set_body(zones=["1", "2", "3"])
        body["sku"]["capacity"] = web10.capacity
        del body["properties"]["virtualMachineProfile"]["osProfile"][
            "computerNamePrefix"
        ]  # web10 has none
        current = row.node.dump(getattr(web10, row.model))
        if current:
            assert arm("PUT", f"{VMSS}/web10", placed(row.wire, current, body)).status_code == 200
        changed = "Premium" if row.member == "tier" else wire_sample(row.node)
        response = arm("PUT", f"{VMSS}/web10", placed(row.wire, changed, body))
        assert response.status_code == 400
        assert (error_of(response)["code"], error_of(response)["target"]) == (
            "PropertyChangeNotAllowed",
            row.wire,
        )


def test_a_row_the_table_copies_needs_a_wire_type() -> None:
    with pytest.raises(ValueError, match="wire type"):
        Field("sku.size", "sku_name")
    with pytest.raises(ValueError, match="off the wire"):
        Field(None, "sku_name", Str())


def test_a_member_cannot_be_both_modelled_and_tolerated() -> None:
    with pytest.raises(ValueError, match="both modelled and tolerated"):
        Obj("Sku", {"name": Str()}, tolerated=frozenset({"name"}))


def test_a_table_names_only_fields_its_model_has() -> None:
    with pytest.raises(ValueError, match="no fields"):
        FieldTable(ScaleSet, Field("sku.size", "size", Str()))
