"""The webhook receiver's limits: bodies past 5 MiB are refused (declared or streamed) before
they are read whole, and header values must be short printable ASCII."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from oms_pipeline.api.main import create_app
from oms_pipeline.api.webhooks import MAX_BODY_BYTES
from oms_pipeline.ingest.signatures import sign_base64_hmac_sha256
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import LandedPayload
from oms_pipeline.settings import OmsSettings
from oms_pipeline_tests.conftest import TEST_SECRET

PATH = "/webhooks/shopify"


@pytest.fixture
def client(sqlite_settings: OmsSettings, sqlite_store: OrderStore) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings, sqlite_store)) as test_client:
        yield test_client


def _headers(body: bytes, webhook_id: str = "w-1") -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": sign_base64_hmac_sha256(TEST_SECRET.encode(), body),
        "X-Shopify-Webhook-Id": webhook_id,
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Shop-Domain": "demo-brand.myshopify.com",
    }


def test_a_body_past_the_limit_is_refused_and_not_landed(
    client: TestClient, sqlite_store: OrderStore
) -> None:
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    response = client.post(PATH, content=body, headers=_headers(body))
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(6):
            yield b" " * (1024 * 1024)

    streamed = client.post(PATH, content=chunks(), headers=_headers(b""))
    assert streamed.status_code == 413
    assert sqlite_store.count(LandedPayload) == 0


def test_a_body_under_the_limit_lands(client: TestClient, sqlite_store: OrderStore) -> None:
    body = b'{"id": 1, "note": "' + b"x" * (MAX_BODY_BYTES - 100) + b'"}'
    assert client.post(PATH, content=body, headers=_headers(body)).status_code == 200
    assert sqlite_store.count(LandedPayload) == 1


@pytest.mark.parametrize("webhook_id", ["w\u00e9-1", "w\t1", "w" * 201])
def test_header_values_must_be_short_printable_ascii(
    client: TestClient, sqlite_store: OrderStore, webhook_id: str
) -> None:
    body = b"{}"
    headers = _headers(body)
    headers["X-Shopify-Webhook-Id"] = webhook_id
    encoded = {k: v.encode("utf-8") for k, v in headers.items()}
    response = client.post(PATH, content=body, headers=encoded)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "X-Shopify-Webhook-Id" in response.json()["detail"]
    assert sqlite_store.count(LandedPayload) == 0


def test_every_kept_header_must_be_printable_ascii(
    client: TestClient, sqlite_store: OrderStore
) -> None:
    body = b"{}"
    headers: dict[str, object] = dict(_headers(body))
    headers["X-Shopify-Triggered-At"] = "2026-11-01T00:00:00Z\u00e9".encode()
    response = client.post(PATH, content=body, headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert "x-shopify-triggered-at" in response.json()["detail"]
    assert sqlite_store.count(LandedPayload) == 0
