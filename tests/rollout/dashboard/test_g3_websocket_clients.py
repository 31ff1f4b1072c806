"""G3: the live pages' websockets are counted while open, per page, in the metrics."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests.rollout.dashboard.test_dashboard_consumers import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)


def clients(page: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = Client().get("/metrics").content.decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "rollwright_websocket_clients" and sample.labels == {"page": page}:
                return float(sample.value)
    return 0.0


async def test_g3_websocket_clients_while_open(web10, viewer):
    before = await sync_to_async(clients)("scale_set")
    communicator, connected = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
    assert connected is True
    await receive(communicator)  # the snapshot
    assert await sync_to_async(clients)("scale_set") == before + 1
    await communicator.disconnect()
    assert await sync_to_async(clients)("scale_set") == before


async def test_g3_a_refused_socket_is_not_counted(web10):
    before = await sync_to_async(clients)("scale_set")
    _, connected = await connect(f"/ws/scale-sets/{web10.pk}/")
    assert connected is False
    assert await sync_to_async(clients)("scale_set") == before
