"""L1 under a hostile client (issue 10.10): ``{"type": "resync"}`` is rate limited per
connection, and a flood from one connection does not hold up anyone else's."""

from __future__ import annotations

import asyncio
import time

import pytest

from rollout.dashboard import streaming
from tests.rollout.dashboard.test_dashboard_consumers import connect, receive

pytestmark = pytest.mark.django_db(transaction=True)


async def test_l1_a_resync_flood_is_merged_and_paced_and_blocks_nobody(web10, viewer):
    flooder, _ = await connect("/ws/fleet/", viewer)
    assert (await receive(flooder))["type"] == "fleet.heads"
    started = time.monotonic()
    for _ in range(50):
        await flooder.send_json_to({"type": "resync"})
    # Meanwhile a new page connects and gets its snapshot at once.
    other, connected = await connect(f"/ws/scale-sets/{web10.pk}/", viewer)
    assert connected is True
    assert (await receive(other))["type"] == "snapshot"
    assert time.monotonic() - started < 3.0, "another connection waited behind the flood"
    # The flooder gets its burst, then one answer a second, not fifty.
    answers = 0
    while not await flooder.receive_nothing(timeout=1.5):
        message = await flooder.receive_json_from(timeout=1)
        answers += message["type"] == "fleet.heads"
    assert streaming.RESYNC_BURST <= answers <= streaming.RESYNC_BURST + 3, answers
    await other.disconnect()
    await flooder.disconnect()


async def test_l1_resync_requests_merge_the_oldest_position_wins():
    served: list[int] = []

    async def serve(after: int) -> None:
        served.append(after)

    resyncs = streaming.Resyncs(serve)
    resyncs.bucket = streaming.TokenBucket(burst=1, per_second=20.0)
    resyncs.request(40)
    resyncs.request(30)  # before the first is served: merged, the oldest position wins
    resyncs.request(35)
    await asyncio.sleep(0.2)
    assert served == [30]
    resyncs.request(12)
    resyncs.request(None)  # a snapshot wins over any position
    await asyncio.sleep(0.2)
    assert served == [30, streaming.SNAPSHOT]
    assert resyncs.merged == 3
    await resyncs.close()
