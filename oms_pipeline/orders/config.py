"""Configuration as data: catalog, partners, routing rules, connections, recipes, transitions.

A folder of JSON files (the sample set in ``oms_pipeline/samples`` is one) is loaded into the
order store with ``oms load-config``. Loading is an upsert: run it again after an edit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from oms_pipeline.errors import ConfigurationError
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import (
    Connection,
    Partner,
    Product,
    Recipe,
    RoutingRule,
    StatusTransition,
)
from oms_pipeline.paths import safe_component
from oms_pipeline.settings import partner_folder

log = logging.getLogger(__name__)

# Line status moves only along these edges; anything else is ignored as out of order.
DEFAULT_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("received", "dispatched"),
    ("received", "in_production"),
    ("received", "shipped"),
    ("received", "cancelled"),
    ("received", "error"),
    ("dispatched", "in_production"),
    ("dispatched", "shipped"),
    ("dispatched", "delivered"),
    ("dispatched", "cancelled"),
    ("dispatched", "error"),
    ("in_production", "shipped"),
    ("in_production", "delivered"),
    ("in_production", "cancelled"),
    ("in_production", "error"),
    ("error", "in_production"),
    ("error", "shipped"),
    ("error", "cancelled"),
    ("shipped", "delivered"),
)


@dataclass(frozen=True)
class LoadedConfig:
    """How many entries of each kind were loaded."""

    products: int
    partners: int
    routing_rules: int
    connections: int
    recipes: int


def load_config(store: OrderStore, folder: Path) -> LoadedConfig:
    """Upsert the configuration found in ``folder`` into the order store.

    Args:
        store: the order store, already migrated.
        folder: holds ``catalog.json``, ``partners.json``, ``routing.json``,
            ``connections.json`` and ``recipes/*.json``; missing files are skipped.

    Raises:
        ConfigurationError: a file is not valid JSON or an entry lacks a required field.
    """
    products = _entries(folder / "catalog.json", "products", ("sku", "name", "is_custom"))
    partners = _entries(folder / "partners.json", "partners", ("code", "name", "channel"))
    rules = _entries(
        folder / "routing.json", "rules", ("name", "priority", "sku_pattern", "partner_code")
    )
    connections = _connections(folder / "connections.json")
    recipes = _recipes(folder / "recipes")
    for index, partner in enumerate(partners):
        if not isinstance(partner["code"], str):
            raise ConfigurationError(f"{folder}/partners.json: partners[{index}].code is not text")
        safe_component(partner["code"])
    try:
        _upsert(store, products, partners, rules, connections, recipes)
    except SQLAlchemyError as exc:
        raise ConfigurationError(
            f"{folder}: the configuration contradicts itself or the store "
            f"({type(getattr(exc, 'orig', None) or exc).__name__}); check that every routing "
            "rule names a partner defined in partners.json"
        ) from None

    loaded = LoadedConfig(len(products), len(partners), len(rules), len(connections), len(recipes))
    log.info("configuration loaded from %s: %s", folder, loaded)
    return loaded


def _upsert(
    store: OrderStore,
    products: list[dict[str, Any]],
    partners: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    connections: list[tuple[str, str, list[str]]],
    recipes: list[tuple[str, str, dict[str, Any]]],
) -> None:
    with store.session() as session:
        for row in products:
            session.merge(Product(sku=row["sku"], name=row["name"], is_custom=row["is_custom"]))
        for row in partners:
            session.merge(
                Partner(
                    code=row["code"],
                    name=row["name"],
                    channel=row["channel"],
                    settings=row.get("settings") or {},
                    active=row.get("active", True),
                )
            )
        session.flush()
        for row in rules:
            session.merge(
                RoutingRule(
                    name=row["name"],
                    priority=int(row["priority"]),
                    sku_pattern=row["sku_pattern"],
                    source=row.get("source"),
                    partner_code=row["partner_code"],
                )
            )
        for source, shop, properties in connections:
            existing = session.execute(
                select(Connection).where(Connection.source == source, Connection.shop == shop)
            ).scalar_one_or_none()
            if existing is None:
                session.add(Connection(source=source, shop=shop, recipe_properties=properties))
            else:
                existing.recipe_properties = properties
        for token, sku, document in recipes:
            session.merge(Recipe(token=token, sku=sku, document=document))
        for from_status, to_status in DEFAULT_TRANSITIONS:
            session.merge(StatusTransition(from_status=from_status, to_status=to_status))


def partner_folders(store: OrderStore, var_dir: Path) -> list[Path]:
    """The inbox and outbox of every partner served over its local folder."""
    with store.session() as session:
        codes = session.execute(
            select(Partner.code).where(Partner.channel == "local_folder")
        ).scalars()
        return [
            partner_folder(var_dir, code) / box for code in codes for box in ("inbox", "outbox")
        ]


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid JSON ({exc})") from None


def _entries(path: Path, key: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    document = _read(path)
    entries = document.get(key) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: expected an object with a list under {key!r}")
    for index, entry in enumerate(entries):
        missing = [name for name in required if not isinstance(entry, dict) or name not in entry]
        if missing:
            raise ConfigurationError(f"{path}: {key}[{index}] lacks {', '.join(missing)}")
    return entries


def _connections(path: Path) -> list[tuple[str, str, list[str]]]:
    if not path.exists():
        return []
    document = _read(path)
    found = []
    for source, entries in document.items():
        for index, entry in enumerate(entries):
            if "shop_domain" not in entry or "recipe_properties" not in entry:
                raise ConfigurationError(
                    f"{path}: {source}[{index}] needs shop_domain and recipe_properties"
                )
            found.append((source, entry["shop_domain"], list(entry["recipe_properties"])))
    return found


def _recipes(folder: Path) -> list[tuple[str, str, dict[str, Any]]]:
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        document = _read(path)
        data = document.get("data", document)
        if not isinstance(data, dict) or "token" not in data or "sku" not in data:
            raise ConfigurationError(f"{path}: a recipe needs data.token and data.sku")
        found.append((str(data["token"]), str(data["sku"]), document))
    return found
