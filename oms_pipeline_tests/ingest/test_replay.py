"""Replaying saved payloads: topics are guessed from the body's shape, and a body no parser
can read still gets a guess, so one broken file never stops a replay."""

from __future__ import annotations

import pytest

from oms_pipeline.ingest.replay import guess_shopify_topic


@pytest.mark.parametrize(
    ("body", "topic"),
    [
        (b'{"refund": {"id": 1}}', "refunds/create"),
        (b'{"id": 1, "order_id": 2, "tracking_number": "x"}', "fulfillments/create"),
        (b'{"id": 1, "cancelled_at": "2026-01-01T00:00:00Z"}', "orders/cancelled"),
        (b'{"order": {"id": 1}}', "orders/create"),
        (b"[" * 100_000 + b"]" * 100_000, "orders/create"),
        (b'{"id": ' + b"9" * 5000 + b"}", "orders/create"),
        (b"\xff\xfe", "orders/create"),
    ],
)
def test_topic_guess(body: bytes, topic: str) -> None:
    assert guess_shopify_topic(body) == topic
