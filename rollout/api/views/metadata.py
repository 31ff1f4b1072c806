"""S2: what a VM would read from the Instance Metadata Service, simulated per instance.

Inside an Azure VM, ``GET http://169.254.169.254/metadata/instance/compute?api-version=...``
with the header ``Metadata: true`` answers the VM's compute metadata; with
``osRollingUpgradeDeferral`` its ``tagsList`` carries ``Platform.PendingOSUpgrade`` while an
OS upgrade of that VM waits for approval (Azure's AutomaticOSUpgradePolicy reference). The
simulated VMs have no address, so Rollwright answers the same document at
``{VM}/metadata/instance/compute`` on its API: a script that would watch IMDS can poll this.
The tag's value is the image version waiting to be installed (Azure does not document one).
"""

from __future__ import annotations

from django.http import HttpResponse

from rollout.api.dispatch import ApiCall
from rollout.api.envelope import json_response
from rollout.api.views.common import scale_set_of
from rollout.api.views.instances import instance_of
from rollout.models import ACTIVE_STATUSES, InstanceUpgrade, InstanceUpgradeState
from rollout.services.errors import ServiceError

PENDING_TAG = "Platform.PendingOSUpgrade"


def instance_compute_metadata(call: ApiCall) -> HttpResponse:
    if call.request.headers.get("Metadata", "").lower() != "true":
        # IMDS refuses a request without the header (it guards against SSRF).
        raise ServiceError("BadRequest", "Bad request. Required metadata header not specified")
    scale_set = scale_set_of(call)
    instance = instance_of(call, scale_set)
    pending = (
        InstanceUpgrade.objects.filter(
            instance=instance,
            state=InstanceUpgradeState.AWAITING_APPROVAL,
            operation__status__in=ACTIVE_STATUSES,
        )
        .select_related("operation")
        .first()
    )
    tags = [{"name": name, "value": str(value)} for name, value in (scale_set.tags or {}).items()]
    if pending is not None:
        tags.append({"name": PENDING_TAG, "value": pending.operation.target_image_version})
    return json_response(
        {
            "name": f"{scale_set.name}_{instance.instance_id}",
            "vmScaleSetName": scale_set.name,
            "resourceGroupName": scale_set.resource_group.name,
            "subscriptionId": scale_set.resource_group.subscription.subscription_id,
            "location": scale_set.location.name,
            "zone": instance.zone,
            "platformUpdateDomain": str(instance.update_domain),
            "platformFaultDomain": str(instance.fault_domain),
            "resourceId": f"{scale_set.arm_id}/virtualMachines/{instance.instance_id}",
            "storageProfile": {
                "imageReference": {
                    "publisher": scale_set.image_publisher,
                    "offer": scale_set.image_offer,
                    "sku": scale_set.image_sku,
                    "version": instance.image_version,
                }
            },
            "tagsList": tags,
            "tags": ";".join(f"{tag['name']}:{tag['value']}" for tag in tags),
        }
    )
