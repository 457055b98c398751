"""Webhook signatures, checked on the raw request bytes before anything parses them."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from oms_pipeline.errors import SignatureError


def sign_base64_hmac_sha256(secret: bytes, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body`` (Shopify's, WooCommerce's and ShipHero's scheme)."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode("ascii")


def verify_base64_hmac_sha256(body: bytes, signature: str | None, secrets: Sequence[bytes]) -> None:
    """Check a base64 HMAC-SHA256 signature against each secret in turn, in constant time.

    Args:
        body: the raw request body, exactly as received.
        signature: the header's value, or None when the header is absent.
        secrets: the secrets that may have signed it (current first, then the previous one).

    Raises:
        SignatureError: no secret is configured, the signature is absent, or none matches.
    """
    secrets = [secret for secret in secrets if secret]
    if not secrets:
        raise SignatureError("no webhook secret is configured, so no signature can be checked")
    if not signature:
        raise SignatureError("the signature header is missing")
    given = signature.strip().encode("ascii", errors="replace")
    matches = [
        hmac.compare_digest(sign_base64_hmac_sha256(secret, body).encode("ascii"), given)
        for secret in secrets
    ]
    if not any(matches):
        raise SignatureError("the signature does not match the body")
