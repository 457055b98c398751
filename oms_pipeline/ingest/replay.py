"""Replays a folder of webhook deliveries through the real webhook handler, signed.

A delivery is a body file ``NAME.json`` and, optionally, ``NAME.headers.json`` beside it with
the headers it came with. A body without headers (a payload saved from elsewhere) gets headers
made up from its content: the topic guessed from its shape, and a delivery id derived from the
bytes, so replaying the same file twice is one delivery.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from oms_pipeline.ingest.signatures import sign_base64_hmac_sha256

REPLAY_SHOP = "replay.myshopify.com"

Post = Callable[[str, bytes, dict[str, str]], tuple[int, dict[str, object]]]


@dataclass
class ReplayResult:
    """How each delivery was answered."""

    answers: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> Counter[str]:
        """Deliveries per answer (``landed``, ``duplicate``, ``http 401`` ...)."""
        return Counter(self.answers.values())


def delivery_files(folder: Path) -> list[Path]:
    """The delivery bodies in ``folder``, in name order."""
    return sorted(
        p for p in folder.glob("*.json") if p.is_file() and not p.name.endswith(".headers.json")
    )


def replay_shopify_folder(folder: Path, secret: bytes, post: Post) -> ReplayResult:
    """Sign and post every delivery in ``folder`` to the Shopify webhook route.

    Args:
        folder: the deliveries.
        secret: the webhook secret to sign with (the one the service checks against).
        post: sends (path, body, headers) and returns (status code, JSON answer).
    """
    result = ReplayResult()
    for body_path in delivery_files(folder):
        body = body_path.read_bytes()
        headers = shopify_headers(body_path, body)
        headers["X-Shopify-Hmac-Sha256"] = sign_base64_hmac_sha256(secret, body)
        headers["Content-Type"] = "application/json"
        status, answer = post("/webhooks/shopify", body, headers)
        result.answers[body_path.name] = (
            str(answer.get("status")) if status == 200 else f"http {status}: {answer}"
        )
    return result


def shopify_headers(body_path: Path, body: bytes) -> dict[str, str]:
    """The delivery's saved headers, or headers made up from the body."""
    sidecar = body_path.with_name(body_path.name.removesuffix(".json") + ".headers.json")
    if sidecar.exists():
        saved = json.loads(sidecar.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in saved.items()}
    digest = hashlib.sha256(body).hexdigest()
    return {
        "X-Shopify-Topic": guess_shopify_topic(body),
        "X-Shopify-Webhook-Id": f"replay-{digest[:32]}",
        "X-Shopify-Shop-Domain": REPLAY_SHOP,
    }


def guess_shopify_topic(body: bytes) -> str:
    """The topic a saved Shopify payload was most likely sent under."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return "orders/create"
    if isinstance(payload, dict) and set(payload) == {"order"}:
        payload = payload["order"]
    if not isinstance(payload, dict):
        return "orders/create"
    if "refund" in payload or "refund_line_items" in payload:
        return "refunds/create"
    if "tracking_number" in payload and "order_id" in payload:
        return "fulfillments/create"
    if payload.get("cancelled_at"):
        return "orders/cancelled"
    return "orders/create"
