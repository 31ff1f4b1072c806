"""Every request: bearer token (401), operator permission on writes (403), api-version (400),
subscription id, the ARM envelope for unknown paths and methods, CSRF exemption."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from rollout.api.dispatch import ApiCall
from rollout.api.versions import COMPUTE_VERSIONS
from rollout.models import ApiToken, ScaleSet
from rollout.models.api import token_digest
from rollout.services.access.tokens import issue_token
from tests.rollout.api.conftest import (
    GALLERY_VERSION,
    RG,
    SUBSCRIPTION,
    VMSS,
    Arm,
    error_of,
    scale_set_body,
)

pytestmark = pytest.mark.django_db


class TestAuthentication:
    def test_a_request_without_a_token_gets_401_authentication_failed(self, arm, tiny3):
        response = arm("GET", f"{VMSS}/tiny3", token=None)
        assert response.status_code == 401
        assert error_of(response)["code"] == "AuthenticationFailed"
        assert "'Authorization' header is missing" in error_of(response)["message"]

    @pytest.mark.parametrize(
        "header_token", ["nonsense", "rwt_000000000000_" + "a" * 43, "Basic abc", ""]
    )
    def test_an_unknown_or_malformed_token_gets_401(self, arm, tiny3, header_token):
        response = arm("GET", f"{VMSS}/tiny3", token=header_token or "   ")
        assert response.status_code == 401
        assert error_of(response)["code"] == "AuthenticationFailed"

    def test_a_revoked_token_gets_401(self, arm, tiny3):
        ApiToken.objects.update(revoked_at=timezone.now())
        assert arm("GET", f"{VMSS}/tiny3").status_code == 401

    def test_an_inactive_user_gets_401(self, arm, operator, tiny3):
        operator.is_active = False
        operator.save()
        assert arm("GET", f"{VMSS}/tiny3").status_code == 401

    def test_a_session_login_is_not_enough(self, operator, tiny3):
        client = Client()
        client.force_login(operator)
        response = client.get(f"{VMSS}/tiny3?api-version=2026-04-01")
        assert response.status_code == 401

    def test_the_token_is_stored_hashed_and_its_use_recorded(self, operator, tiny3):
        row, token = issue_token(operator, "ci")
        assert token.startswith(f"rwt_{row.prefix}_")
        assert row.token_hash == token_digest(token)
        assert token not in {row.token_hash, row.prefix, row.name}
        assert Arm(Client(), token)("GET", f"{VMSS}/tiny3").status_code == 200
        row.refresh_from_db()
        assert row.last_used_at is not None

    def test_last_used_is_written_at_most_once_a_minute(self, arm, tiny3):
        row = ApiToken.objects.get()
        recent = timezone.now() - timedelta(seconds=5)
        ApiToken.objects.update(last_used_at=recent)
        arm("GET", f"{VMSS}/tiny3")
        row.refresh_from_db()
        assert row.last_used_at == recent


class TestAuthorization:
    def test_a_viewer_can_read(self, viewer_arm, tiny3):
        assert viewer_arm("GET", f"{VMSS}/tiny3").status_code == 200

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("PATCH", f"{VMSS}/tiny3", {"tags": {"a": "b"}}),
            ("PUT", f"{VMSS}/tiny3", scale_set_body()),
            ("DELETE", f"{VMSS}/tiny3", None),
            ("POST", f"{VMSS}/tiny3/osRollingUpgrade", None),
            ("POST", f"{VMSS}/tiny3/rollingUpgrades/cancel", None),
            ("POST", f"{VMSS}/tiny3/manualupgrade", {"instanceIds": ["0"]}),
        ],
    )
    def test_a_viewer_gets_403_authorization_failed_on_writes(
        self, viewer_arm, tiny3, method, path, body
    ):
        response = viewer_arm(method, path, body)
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "AuthorizationFailed"
        assert "Microsoft.Compute/virtualMachineScaleSets/" in error["message"]
        assert ScaleSet.objects.filter(name="tiny3").exists()

    def test_a_superuser_may_write(self, django_user_model, tiny3):
        admin = django_user_model.objects.create_superuser("root")
        _, token = issue_token(admin)
        response = Arm(Client(), token)("PATCH", f"{VMSS}/tiny3", {"tags": {"a": "b"}})
        assert response.status_code == 200

    def test_writes_need_no_csrf_token(self, operator, tiny3):
        _, token = issue_token(operator)
        client = Client(enforce_csrf_checks=True)
        response = client.patch(
            f"{VMSS}/tiny3?api-version=2026-04-01",
            data='{"tags": {"a": "b"}}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200


class TestApiVersion:
    def test_a_missing_api_version_gets_missing_api_version_parameter(self, arm, tiny3):
        response = arm("GET", f"{VMSS}/tiny3", version=None)
        assert response.status_code == 400
        assert error_of(response) == {
            "code": "MissingApiVersionParameter",
            "message": "The api-version query parameter (?api-version=) is required for all "
            "requests.",
            "target": "api-version",
            "details": [],
        }

    @pytest.mark.parametrize("version", ["banana", "2099-01-01", "2018-06-01", GALLERY_VERSION])
    def test_an_unsupported_api_version_lists_the_supported_ones(self, arm, tiny3, version):
        response = arm("GET", f"{VMSS}/tiny3", version=version)
        assert response.status_code == 400
        error = error_of(response)
        assert error["code"] == "InvalidApiVersionParameter"
        newest_first = ",".join(sorted(COMPUTE_VERSIONS, reverse=True))
        assert error["message"] == (
            f"The api-version '{version}' is invalid. The supported versions are '{newest_first}'."
        )

    @pytest.mark.parametrize("version", ["2018-10-01", "2019-03-01", "2024-11-01", "2026-04-01"])
    def test_compute_versions_from_2018_10_01_to_the_sdks_are_accepted(self, arm, tiny3, version):
        assert arm("GET", f"{VMSS}/tiny3", version=version).status_code == 200

    def test_e2_an_api_version_before_2018_10_01_cannot_enable_auto_upgrade(self, arm, web10):
        body = {
            "properties": {
                "upgradePolicy": {"automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}}
            }
        }
        response = arm("PATCH", f"{VMSS}/web10", body, version="2018-06-01")
        assert response.status_code == 400
        assert error_of(response)["code"] == "InvalidApiVersionParameter"
        web10.refresh_from_db()
        assert web10.enable_automatic_os_upgrade is False

    def test_a_malformed_subscription_id_is_refused(self, arm):
        response = arm(
            "GET", "/subscriptions/not-a-guid/providers/Microsoft.Compute/virtualMachineScaleSets"
        )
        assert response.status_code == 400
        assert error_of(response)["code"] == "InvalidSubscriptionId"


class TestEnvelope:
    def test_an_unknown_path_under_subscriptions_is_an_arm_404(self, arm):
        response = arm("GET", f"{RG}/providers/Microsoft.Compute/disks/d1")
        assert response.status_code == 404
        assert error_of(response)["code"] == "NotFound"
        assert response["Content-Type"].startswith("application/json")

    def test_an_unknown_path_still_needs_a_token(self, arm):
        response = arm("GET", f"{RG}/providers/Microsoft.Compute/disks/d1", token=None)
        assert response.status_code == 401

    def test_a_method_the_resource_lacks_is_405(self, arm, tiny3):
        response = arm("POST", f"{VMSS}/tiny3")
        assert response.status_code == 405
        assert error_of(response)["code"] == "MethodNotAllowed"
        assert response["Allow"] == "DELETE, GET, PATCH, PUT"

    def test_paths_match_case_insensitively(self, arm, tiny3):
        path = f"/SUBSCRIPTIONS/{SUBSCRIPTION}/resourcegroups/RG-TEST/providers/microsoft.compute/"
        response = arm("GET", f"{path}VIRTUALMACHINESCALESETS/TINY3")
        assert response.status_code == 200

    def test_the_client_request_id_is_echoed_and_a_request_id_given(self, arm, tiny3):
        response = arm.client.get(
            f"{VMSS}/tiny3?api-version=2026-04-01",
            headers={"Authorization": f"Bearer {arm.token}", "x-ms-client-request-id": "abc-1"},
        )
        assert response["x-ms-client-request-id"] == "abc-1"
        assert len(response["x-ms-request-id"]) == 36


class TestCreateApiTokenCommand:
    def test_it_prints_the_token_once_and_stores_its_hash(self, operator, tiny3):
        out, err = StringIO(), StringIO()
        call_command("create_api_token", "operator", "--name", "laptop", stdout=out, stderr=err)
        token = out.getvalue().strip()
        row = ApiToken.objects.get(name="laptop")
        assert row.user == operator
        assert row.token_hash == token_digest(token)
        assert "shown only now" in err.getvalue()
        assert "Contributor of /" in err.getvalue()  # its roles (R1)
        assert "valid until" in err.getvalue()
        assert Arm(Client(), token)("GET", f"{VMSS}/tiny3").status_code == 200

    def test_it_refuses_an_unknown_user(self, db):
        with pytest.raises(CommandError, match="No user named 'nobody'"):
            call_command("create_api_token", "nobody", stdout=StringIO())


class TestRouting:
    def test_lower_case_resource_groups_resolve_as_azure_mgmt_resource_sends_them(self) -> None:
        match = resolve(f"/subscriptions/{SUBSCRIPTION}/resourcegroups/apps")
        assert match.url_name == "arm-resource_group"

    def test_the_arm_routes_leave_reverse_working_for_the_rest_of_the_site(self) -> None:
        assert reverse("admin:index") == "/admin/"
        assert reverse("arm-openapi") == "/openapi.json"

    def test_paths_match_in_any_case_and_reverse_writes_azures_spelling(self) -> None:
        names = {"subscription_id": SUBSCRIPTION, "resource_group": "apps", "scale_set": "web"}
        written = reverse("arm-scale_set", kwargs=names)
        assert written == (
            f"/subscriptions/{SUBSCRIPTION}/resourceGroups/apps/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/web"
        )
        match = resolve(written.upper().replace(SUBSCRIPTION.upper(), SUBSCRIPTION) + "/")
        assert (match.url_name, match.kwargs) == (
            "arm-scale_set",
            names | {"resource_group": "APPS", "scale_set": "WEB"},
        )

    def test_any_other_path_under_subscriptions_gets_arms_404(self) -> None:
        assert resolve(f"/Subscriptions/{SUBSCRIPTION}/nothing/here").url_name == "arm-not-found"


class TestDeclaredQueryParameters:
    def test_a_handler_reads_only_the_query_parameters_its_operation_declares(self, rf) -> None:
        call = ApiCall(rf.get("/?$top=3&$Expand=x"), None, "2026-04-01", {}, None, ("$expand",))
        assert call.query("$expand") == "x"
        with pytest.raises(LookupError, match=r"\$top"):
            call.query("$top")

    def test_a_handler_reads_a_body_only_when_its_operation_declares_one(self, rf) -> None:
        with pytest.raises(LookupError, match="no request body"):
            ApiCall(rf.post("/", "{}", "application/json"), None, "2026-04-01", {}).body()
