"""Tests of webhook signatures: base64 HMAC-SHA256 over the raw request bytes.

Covers a known-answer vector, a valid signature, a body or a signature changed by one character,
a missing or empty signature, no secret configured, the previous secret still accepted after a
rotation (and only the configured ones), a signature not in base64, and that a signature made
over re-serialized JSON is refused: a body with ``\\/`` escapes no longer matches once
``json.loads`` and ``json.dumps`` have been through it, so the check must see the bytes as sent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from oms_pipeline.errors import SignatureError
from oms_pipeline.ingest.replay import delivery_files
from oms_pipeline.ingest.signatures import sign_base64_hmac_sha256, verify_base64_hmac_sha256
from oms_pipeline_tests.conftest import SHOPIFY_CORPUS, TEST_SECRET

SECRET = TEST_SECRET.encode("utf-8")
OLD_SECRET = b"the-secret-before-rotation"
OTHER_SECRET = b"a-secret-nobody-configured"

# Shaped like a Shopify webhook body as it is sent: compact, non-ASCII written as \u escapes and
# every slash escaped as \/, which Python's json module never writes back.
ESCAPED_BODY = (
    b'{"id":4400000000001,"admin_graphql_api_id":"gid:\\/\\/shopify\\/Order\\/4400000000001",'
    b'"order_status_url":"https:\\/\\/shop.example\\/4400\\/orders\\/c0ffee\\/authenticate",'
    b'"note":"Caf\\u00e9 \\u2615, pick-up 12\\/24","total_price":"49.40",'
    b'"line_items":[{"id":1,"sku":"MUG-11OZ-WHITE","properties":'
    b'[{"name":"_recipeId","value":"1609c0e8"}]}]}'
)


def test_signature_matches_a_known_hmac_sha256_vector() -> None:
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    digest = bytes.fromhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")

    signature = sign_base64_hmac_sha256(b"Jefe", b"what do ya want for nothing?")

    assert signature == base64.b64encode(digest).decode("ascii")


def test_valid_signature_is_accepted() -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)

    verify_base64_hmac_sha256(ESCAPED_BODY, signature, [SECRET])


def test_surrounding_whitespace_in_the_header_is_tolerated() -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)

    verify_base64_hmac_sha256(ESCAPED_BODY, f" {signature}\t", [SECRET])


@pytest.mark.parametrize("position", [0, 17, len(ESCAPED_BODY) // 2, len(ESCAPED_BODY) - 1])
def test_body_with_one_byte_changed_is_refused(position: int) -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)
    tampered = bytearray(ESCAPED_BODY)
    tampered[position] ^= 0x01

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(bytes(tampered), signature, [SECRET])


def test_body_with_a_byte_appended_is_refused() -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY + b"\n", signature, [SECRET])


def _flip_first(signature: str) -> str:
    return ("B" if signature[0] == "A" else "A") + signature[1:]


def _flip_last_data_char(signature: str) -> str:
    # The last character before the "=" padding carries real digest bits.
    index = len(signature.rstrip("=")) - 1
    replacement = "g" if signature[index] == "w" else "w"
    return signature[:index] + replacement + signature[index + 1 :]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(_flip_first, id="first-char"),
        pytest.param(_flip_last_data_char, id="last-char"),
        pytest.param(lambda s: s[:-4], id="truncated"),
        pytest.param(lambda s: s + "AAAA", id="extended"),
        pytest.param(lambda s: s.lower(), id="lower-cased"),
    ],
)
def test_tampered_signature_is_refused(tamper: Callable[[str], str]) -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)
    tampered = tamper(signature)
    assert tampered != signature

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY, tampered, [SECRET])


def test_signature_made_with_another_secret_is_refused() -> None:
    signature = sign_base64_hmac_sha256(OTHER_SECRET, ESCAPED_BODY)

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY, signature, [SECRET])


def test_hex_encoded_signature_is_refused() -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)
    as_hex = base64.b64decode(signature).hex()

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY, as_hex, [SECRET])


def test_non_ascii_signature_is_refused_not_crashed() -> None:
    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY, "sïgnätürë==", [SECRET])


@pytest.mark.parametrize("signature", [None, ""], ids=["absent", "empty"])
def test_missing_signature_is_refused(signature: str | None) -> None:
    with pytest.raises(SignatureError, match="missing"):
        verify_base64_hmac_sha256(ESCAPED_BODY, signature, [SECRET])


def test_no_secret_configured_refuses_even_a_valid_signature() -> None:
    signature = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)

    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_base64_hmac_sha256(ESCAPED_BODY, signature, [])


def test_empty_secret_among_real_ones_never_validates() -> None:
    forged = sign_base64_hmac_sha256(b"", ESCAPED_BODY)

    with pytest.raises(SignatureError):
        verify_base64_hmac_sha256(ESCAPED_BODY, forged, [SECRET, b""])


def test_only_empty_secrets_count_as_none_configured() -> None:
    forged = sign_base64_hmac_sha256(b"", ESCAPED_BODY)

    with pytest.raises(SignatureError, match="no webhook secret"):
        verify_base64_hmac_sha256(ESCAPED_BODY, forged, [b"", b""])


def test_previous_secret_is_accepted_after_rotation() -> None:
    signed_before_rotation = sign_base64_hmac_sha256(OLD_SECRET, ESCAPED_BODY)
    signed_after_rotation = sign_base64_hmac_sha256(SECRET, ESCAPED_BODY)

    verify_base64_hmac_sha256(ESCAPED_BODY, signed_before_rotation, [SECRET, OLD_SECRET])
    verify_base64_hmac_sha256(ESCAPED_BODY, signed_after_rotation, [SECRET, OLD_SECRET])


def test_rotation_accepts_only_the_configured_secrets() -> None:
    signed_by_old = sign_base64_hmac_sha256(OLD_SECRET, ESCAPED_BODY)
    signed_by_other = sign_base64_hmac_sha256(OTHER_SECRET, ESCAPED_BODY)

    with pytest.raises(SignatureError):
        verify_base64_hmac_sha256(ESCAPED_BODY, signed_by_other, [SECRET, OLD_SECRET])
    # Once the previous secret is dropped from the settings, its signatures stop counting.
    with pytest.raises(SignatureError):
        verify_base64_hmac_sha256(ESCAPED_BODY, signed_by_old, [SECRET])


@pytest.mark.parametrize(
    "reserialize",
    [
        pytest.param(lambda obj: json.dumps(obj), id="json.dumps"),
        pytest.param(lambda obj: json.dumps(obj, separators=(",", ":")), id="compact"),
        pytest.param(lambda obj: json.dumps(obj, ensure_ascii=False), id="utf-8"),
    ],
)
def test_signature_over_reserialized_json_is_refused(
    reserialize: Callable[[object], str],
) -> None:
    reserialized = reserialize(json.loads(ESCAPED_BODY)).encode("utf-8")
    assert json.loads(reserialized) == json.loads(ESCAPED_BODY)  # same data, other bytes
    assert reserialized != ESCAPED_BODY
    signature = sign_base64_hmac_sha256(SECRET, reserialized)

    with pytest.raises(SignatureError, match="does not match"):
        verify_base64_hmac_sha256(ESCAPED_BODY, signature, [SECRET])


def test_compact_reserialization_differs_only_by_the_slash_escapes() -> None:
    # Proves the refusal above is caused by the \/ escapes alone, not by spacing or key order.
    reserialized = json.dumps(json.loads(ESCAPED_BODY), separators=(",", ":")).encode("utf-8")

    assert reserialized.replace(b"/", b"\\/") == ESCAPED_BODY


def test_corpus_bodies_with_slash_escapes_verify_only_as_sent() -> None:
    if not SHOPIFY_CORPUS.is_dir():
        pytest.skip(f"the Shopify corpus is not at {SHOPIFY_CORPUS}")
    bodies = [p.read_bytes() for p in delivery_files(SHOPIFY_CORPUS)]
    escaped = [body for body in bodies if b"\\/" in body]
    if not escaped:
        pytest.skip("no corpus body has \\/ escapes")

    for body in escaped:
        verify_base64_hmac_sha256(body, sign_base64_hmac_sha256(SECRET, body), [SECRET])
        reserialized = json.dumps(json.loads(body)).encode("utf-8")
        with pytest.raises(SignatureError, match="does not match"):
            verify_base64_hmac_sha256(body, sign_base64_hmac_sha256(SECRET, reserialized), [SECRET])
