"""The ARM path templates the routes build on, in OpenAPI's notation (``{parameterName}``)."""

from __future__ import annotations

SUBSCRIPTION = "/subscriptions/{subscriptionId}"
GROUP = f"{SUBSCRIPTION}/resourceGroups/{{resourceGroupName}}"
COMPUTE = f"{GROUP}/providers/Microsoft.Compute"
SCALE_SET = f"{COMPUTE}/virtualMachineScaleSets/{{vmScaleSetName}}"
VM = f"{SCALE_SET}/virtualMachines/{{instanceId}}"
LOCATION = f"{SUBSCRIPTION}/providers/Microsoft.Compute/locations/{{location}}"
PUBLISHER = f"{LOCATION}/publishers/{{publisherName}}"
OFFER = f"{PUBLISHER}/artifacttypes/vmimage/offers/{{offer}}"
SKU = f"{OFFER}/skus/{{skus}}"
GALLERY = f"{COMPUTE}/galleries/{{galleryName}}"
GALLERY_IMAGE = f"{GALLERY}/images/{{galleryImageName}}"
