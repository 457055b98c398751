"""Edits that arrive before dispatch: a changed RecipeID remakes the line's artwork and the
order's traveler, and a line refunded to zero is cancelled and never sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dagster import DagsterInstance
from pypdf import PdfReader

from oms_pipeline.artwork.production import make_pending_artwork, make_pending_travelers
from oms_pipeline.dispatch.dispatcher import dispatch_partner
from oms_pipeline.dispatch.routing import route_pending_lines
from oms_pipeline.orders.importer import import_pending_landings
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings
from oms_pipeline_tests.factories import land_shopify

CREATE = json.loads(
    (SAMPLES_DIR / "deliveries" / "shopify" / "009-orders-create-1006.json").read_bytes()
)


def _land(store: OrderStore, delivery_id: str, order: dict[str, Any]) -> None:
    land_shopify(store, delivery_id, json.dumps(order).encode(), topic="orders/updated")


def _intake(store: OrderStore, settings: OmsSettings) -> None:
    import_pending_landings(store)
    route_pending_lines(store)
    make_pending_artwork(store, settings)
    make_pending_travelers(store, settings)


def _mug(order: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in order["line_items"] if item.get("sku") == "MUG-11OZ-WHITE")


def _created_then_edited(store: OrderStore, settings: OmsSettings) -> dict[str, Any]:
    """Import the sample order #1006 through travelers; return a newer version to edit."""
    _land(store, "create", CREATE)
    _intake(store, settings)
    edited = json.loads(json.dumps(CREATE))
    edited["updated_at"] = "2030-01-01T00:00:00Z"
    return edited


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_recipe_change_before_dispatch_remakes_artwork_and_traveler(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    edited = _created_then_edited(sqlite_store, sqlite_settings)
    for prop in _mug(edited)["properties"]:
        if prop["name"] == "_recipeId":
            prop["value"] = "Cjk7Text"
    _land(sqlite_store, "edit", edited)
    _intake(sqlite_store, sqlite_settings)

    summary = dispatch_partner(sqlite_store, sqlite_settings.var_dir.resolve(), "brightprint")
    (traveler,) = [Path(p) for p in summary.files if Path(p).name.startswith("traveler-")]
    text = _text(traveler)
    assert "Cjk7Text" in text and "Rx4Mug88" not in text
    assert "HAPPY BIRTHDAY" not in text
    (artwork,) = [Path(p) for p in summary.files if p.endswith(".pdf") and "/artwork/" in p]
    assert "Cjk7Text" in _text(artwork)


def test_a_line_refunded_to_zero_before_dispatch_is_not_sent(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    edited = _created_then_edited(sqlite_store, sqlite_settings)
    for item in edited["line_items"]:
        item["current_quantity"] = 0 if item.get("sku") == "MUG-11OZ-WHITE" else item["quantity"]
    _land(sqlite_store, "refund", edited)
    _intake(sqlite_store, sqlite_settings)

    with DagsterInstance.ephemeral():
        summary = dispatch_partner(sqlite_store, sqlite_settings.var_dir.resolve(), "brightprint")
    assert summary.batch_name is None  # the mug was brightprint's only line
    northwind = dispatch_partner(sqlite_store, sqlite_settings.var_dir.resolve(), "northwind-3pl")
    manifest = next(Path(p) for p in northwind.files if p.endswith("manifest.csv"))
    assert "MUG-11OZ-WHITE" not in manifest.read_text()


def test_a_sku_change_before_dispatch_routes_the_line_again(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    edited = _created_then_edited(sqlite_store, sqlite_settings)
    mug = _mug(edited)
    mug["sku"] = "GIFT-BOX-SM"
    mug["properties"] = [p for p in mug["properties"] if p["name"] != "_recipeId"]
    _land(sqlite_store, "edit", edited)
    _intake(sqlite_store, sqlite_settings)

    var_dir = sqlite_settings.var_dir.resolve()
    assert dispatch_partner(sqlite_store, var_dir, "brightprint").batch_name is None
    northwind = dispatch_partner(sqlite_store, var_dir, "northwind-3pl")
    manifest = next(Path(p) for p in northwind.files if p.endswith("manifest.csv"))
    assert manifest.read_text().count("GIFT-BOX-SM") == 2
