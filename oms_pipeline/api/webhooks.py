"""Storefront webhook receivers: verify, land the raw payload, answer at once.

Nothing here parses an order. The payload is kept exactly as it came, and the ``orders`` asset
reads it later, so a receiver answers in milliseconds and any fix can be replayed over history.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from oms_pipeline.api.deps import SettingsDep, StoreDep
from oms_pipeline.errors import SignatureError
from oms_pipeline.ingest.signatures import verify_base64_hmac_sha256

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

# Shopify's order payloads run to a few hundred kilobytes at most.
MAX_BODY_BYTES = 5 * 1024 * 1024

SHOPIFY_KEPT_HEADERS = (
    "content-type",
    "x-shopify-topic",
    "x-shopify-webhook-id",
    "x-shopify-event-id",
    "x-shopify-shop-domain",
    "x-shopify-triggered-at",
    "x-shopify-api-version",
    "x-shopify-hmac-sha256",
)


class WebhookAnswer(BaseModel):
    """The answer to a delivery: ``landed`` the first time, ``duplicate`` after."""

    status: str
    landing_id: int


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refused with 413 past ``limit`` bytes before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail=f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail=f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/shopify", response_model=WebhookAnswer)
async def receive_shopify_webhook(
    request: Request, settings: SettingsDep, store: StoreDep
) -> WebhookAnswer:
    """Land one Shopify webhook delivery after checking its HMAC over the raw body."""
    body = await read_body(request)
    try:
        verify_base64_hmac_sha256(
            body, request.headers.get("x-shopify-hmac-sha256"), settings.shopify_secrets()
        )
    except SignatureError as exc:
        log.warning("shopify webhook refused: %s", exc)
        raise HTTPException(status_code=401, detail=f"signature refused: {exc}") from None

    delivery_id = request.headers.get("x-shopify-webhook-id", "").strip()
    topic = request.headers.get("x-shopify-topic", "").strip()
    shop = request.headers.get("x-shopify-shop-domain", "").strip()
    event_id = request.headers.get("x-shopify-event-id", "").strip() or None
    problems = [
        f"{name} is missing"
        if not value
        else f"{name} must be at most {limit} printable ASCII characters"
        for name, value, limit in (
            ("X-Shopify-Webhook-Id", delivery_id, 200),
            ("X-Shopify-Topic", topic, 100),
            ("X-Shopify-Shop-Domain", shop, 255),
            ("X-Shopify-Event-Id", event_id or "-", 200),
        )
        if not value or len(value) > limit or not (value.isascii() and value.isprintable())
    ]
    if problems:
        raise HTTPException(status_code=400, detail="; ".join(problems))

    headers = {k: request.headers[k] for k in SHOPIFY_KEPT_HEADERS if k in request.headers}
    odd = [k for k, v in headers.items() if len(v) > 1000 or not (v.isascii() and v.isprintable())]
    if odd:
        raise HTTPException(
            status_code=400,
            detail=f"header(s) {', '.join(odd)} must be at most 1000 printable ASCII characters",
        )
    result = await run_in_threadpool(
        store.land,
        source="shopify",
        delivery_id=delivery_id,
        topic=topic,
        shop=shop,
        event_id=event_id,
        headers=headers,
        body=body,
    )
    log.info(
        "shopify delivery %s: landing %d",
        "landed" if result.created else "duplicate",
        result.landing_id,
    )
    return WebhookAnswer(
        status="landed" if result.created else "duplicate", landing_id=result.landing_id
    )
