"""Intake benchmarks, as ratios against a bare baseline measured in the same run.

- webhook: signed Shopify deliveries through the real handler (HMAC check and landing in
  SQLite), against the same requests to a route that does nothing.
- import: parsing and upserting a batch of landed orders, against ``json.loads`` of the same
  bodies.
- memory: peak Python allocation of the import batch, against holding the bodies.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_intake.py --orders 500``).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from oms_pipeline.api.main import create_app
from oms_pipeline.ingest.signatures import sign_base64_hmac_sha256
from oms_pipeline.orders.config import load_config
from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings

SECRET = "bench-secret"
TEMPLATE = SAMPLES_DIR / "deliveries" / "shopify" / "001-orders-create-1001.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    bodies = _bodies(args.orders)

    with tempfile.TemporaryDirectory() as tmp:
        settings = OmsSettings(
            database_url=f"sqlite:///{tmp}/bench.db",
            var_dir=Path(tmp) / "var",
            shopify_webhook_secret=SECRET,  # type: ignore[arg-type]
        )
        store = OrderStore(settings.resolved_database_url)
        store.migrate()
        load_config(store, SAMPLES_DIR)

        bare = FastAPI()

        @bare.post("/webhooks/shopify")
        async def nothing() -> dict[str, str]:
            return {"status": "ok"}

        with TestClient(bare) as baseline_client, TestClient(create_app(settings, store)) as client:
            baseline = _timed(lambda: _post_all(baseline_client, bodies))
            webhook = _timed(lambda: _post_all(client, bodies))

        parse_baseline = _timed(lambda: [json.loads(b) for b in bodies])
        imported = _timed(lambda: import_pending_landings(store))

        # Memory on a second batch (tracemalloc slows everything, so not while timing).
        with TestClient(create_app(settings, store)) as client:
            _post_all(client, _bodies(len(bodies), first_id=8_000_000_000_000))
        tracemalloc.start()
        held = [json.loads(b) for b in bodies]
        _, baseline_peak = tracemalloc.get_traced_memory()
        del held
        tracemalloc.reset_peak()
        import_pending_landings(store)
        _, import_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

    n = len(bodies)
    rows = [
        ("webhook landing", webhook, baseline, "bare FastAPI route"),
        ("import batch", imported, parse_baseline, "json.loads of the bodies"),
    ]
    for name, seconds, base, what in rows:
        sys.stdout.write(
            f"{name:16} {n / seconds:9.0f}/s   {seconds / base:6.1f}x the baseline ({what})\n"
        )
    sys.stdout.write(
        f"{'import memory':16} {import_peak / 2**20:8.1f} MiB "
        f"{import_peak / max(baseline_peak, 1):6.1f}x holding the parsed bodies\n"
    )
    return 0


def _bodies(count: int, first_id: int = 7_000_000_000_000) -> list[bytes]:
    template = json.loads(TEMPLATE.read_bytes())
    bodies = []
    for n in range(count):
        order = copy.deepcopy(template)
        order["id"] = first_id + n
        order["order_number"] = 50_000 + n
        order["name"] = f"#{50_000 + n}"
        bodies.append(json.dumps(order).encode())
    return bodies


def _post_all(client: TestClient, bodies: list[bytes]) -> None:
    for body in bodies:
        headers = {
            "X-Shopify-Hmac-Sha256": sign_base64_hmac_sha256(SECRET.encode(), body),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "bench.myshopify.com",
        }
        response = client.post("/webhooks/shopify", content=body, headers=headers)
        response.raise_for_status()


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


if __name__ == "__main__":
    raise SystemExit(main())
