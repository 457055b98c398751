"""Artwork for every custom line, then one traveler per order and partner.

Both steps pick up only what has not been made yet (a left join on their own table), so a run
retried after a crash makes each file exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from oms_pipeline.artwork.recipes import RecipeSource, recipe_source
from oms_pipeline.artwork.render import (
    ArtworkRequest,
    TravelerDocument,
    TravelerLine,
    parse_recipe,
    render_artwork_pdf,
    render_artwork_png,
    render_traveler_pdf,
)
from oms_pipeline.errors import OmsError
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import (
    ArtworkFile,
    FactoryFile,
    OrderLineAttributeRow,
    OrderLineRow,
    OrderRow,
    Partner,
    utcnow,
)
from oms_pipeline.paths import slug_component, write_atomically
from oms_pipeline.settings import OmsSettings

log = logging.getLogger(__name__)


@dataclass
class ArtworkSummary:
    """Artwork made in one batch, and lines that must wait for their recipe."""

    rendered: int = 0
    waiting: dict[str, str] = field(default_factory=dict)


@dataclass
class TravelerSummary:
    """Travelers made in one batch, per partner, and orders that wait for artwork."""

    made: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    waiting_for_artwork: int = 0


def make_pending_artwork(
    store: OrderStore, settings: OmsSettings, recipes: RecipeSource | None = None
) -> ArtworkSummary:
    """Render a print PDF and a PNG proof for each custom line that has none yet.

    A line whose recipe cannot be had (unknown RecipeID, customizer down) waits for the next
    run; the others go on.
    """
    summary = ArtworkSummary()
    var_dir = settings.var_dir.resolve()
    with store.session() as session:
        source = recipes or recipe_source(settings, session)
        pending = session.execute(
            select(OrderLineRow, OrderRow.order_ref, OrderRow.order_number)
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .outerjoin(ArtworkFile, ArtworkFile.line_id == OrderLineRow.id)
            .where(
                OrderLineRow.recipe_id.is_not(None),
                ArtworkFile.id.is_(None),
                OrderRow.status != "cancelled",
                OrderLineRow.status != "cancelled",
            )
            .order_by(OrderLineRow.id)
        ).all()
        for line, order_ref, order_number in pending:
            assert line.recipe_id is not None
            try:
                recipe = parse_recipe(source.get(line.recipe_id))
            except OmsError as exc:
                summary.waiting[line.line_reference] = str(exc)
                continue
            if recipe.sku != line.sku:
                summary.waiting[line.line_reference] = (
                    f"recipe {recipe.token} was made for SKU {recipe.sku}, the line is "
                    f"{line.sku}; fix the line's RecipeID or SKU at the source and send it again"
                )
                continue
            request = ArtworkRequest(
                order_ref=order_ref,
                order_number=order_number,
                line_no=line.line_no,
                sku=line.sku,
                quantity=line.quantity,
                recipe=recipe,
            )
            folder = var_dir / "artwork" / slug_component(order_ref)
            stem = slug_component(line.line_reference)
            pdf, png = render_artwork_pdf(request), render_artwork_png(request)
            write_atomically(folder / f"{stem}.pdf", pdf)
            write_atomically(folder / f"{stem}.png", png)
            values = {
                "line_id": line.id,
                "recipe_id": line.recipe_id,
                "pdf_path": str(folder / f"{stem}.pdf"),
                "png_path": str(folder / f"{stem}.png"),
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
                "png_sha256": hashlib.sha256(png).hexdigest(),
                "created_at": utcnow(),
            }
            stmt = store.insert(ArtworkFile).values(values)
            session.execute(stmt.on_conflict_do_nothing(index_elements=["line_id"]))
            summary.rendered += 1
    if summary.waiting:
        log.warning("%d custom lines wait for their recipe", len(summary.waiting))
    return summary


def make_pending_travelers(
    store: OrderStore, settings: OmsSettings, recipes: RecipeSource | None = None
) -> TravelerSummary:
    """Render one traveler per order and partner, once every custom line has its artwork.

    The traveler lists each line's personalization: the recipe's texts, then the visible OLAs.
    """
    summary = TravelerSummary()
    var_dir = settings.var_dir.resolve()
    with store.session() as session:
        source = recipes or recipe_source(settings, session)
        rows = session.execute(
            select(OrderLineRow, OrderRow, ArtworkFile, Partner)
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .join(Partner, Partner.code == OrderLineRow.partner_code)
            .outerjoin(ArtworkFile, ArtworkFile.line_id == OrderLineRow.id)
            .outerjoin(
                FactoryFile,
                (FactoryFile.order_id == OrderRow.id)
                & (FactoryFile.partner_code == OrderLineRow.partner_code)
                & (FactoryFile.kind == "traveler"),
            )
            .where(
                FactoryFile.id.is_(None),
                OrderRow.status != "cancelled",
                OrderLineRow.status != "cancelled",
            )
            .order_by(OrderRow.id, OrderLineRow.partner_code, OrderLineRow.line_no)
        ).all()
        groups: dict[tuple[int, str], list[tuple[OrderLineRow, OrderRow, ArtworkFile | None]]]
        groups = defaultdict(list)
        partners: dict[str, Partner] = {}
        for line, order, artwork, partner in rows:
            groups[(order.id, partner.code)].append((line, order, artwork))
            partners[partner.code] = partner
        attributes = _attributes(session, [line.id for line, *_ in rows])

        for (_, partner_code), members in groups.items():
            if any(line.is_custom and artwork is None for line, _, artwork in members):
                summary.waiting_for_artwork += 1
                continue
            order = members[0][1]
            document = _traveler(order, partners[partner_code], members, attributes, source)
            pdf = render_traveler_pdf(document)
            path = (
                var_dir
                / "factory_files"
                / slug_component(partner_code)
                / f"traveler-{slug_component(order.order_ref)}.pdf"
            )
            write_atomically(path, pdf)
            stmt = store.insert(FactoryFile).values(
                kind="traveler",
                order_id=order.id,
                partner_code=partner_code,
                path=str(path),
                sha256=hashlib.sha256(pdf).hexdigest(),
                created_at=utcnow(),
            )
            session.execute(
                stmt.on_conflict_do_nothing(index_elements=["kind", "order_id", "partner_code"])
            )
            summary.made[partner_code] += 1
    return summary


def _attributes(session: Session, line_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not line_ids:
        return found
    rows = session.execute(
        select(OrderLineAttributeRow)
        .where(OrderLineAttributeRow.line_id.in_(line_ids), OrderLineAttributeRow.hidden.is_(False))
        .order_by(OrderLineAttributeRow.line_id, OrderLineAttributeRow.position)
    ).scalars()
    for row in rows:
        found[row.line_id].append((row.name, row.value))
    return found


def _traveler(
    order: OrderRow,
    partner: Partner,
    members: list[tuple[OrderLineRow, OrderRow, ArtworkFile | None]],
    attributes: dict[int, list[tuple[str, str]]],
    recipes: RecipeSource,
) -> TravelerDocument:
    lines = []
    for line, _, artwork in members:
        personalization: list[tuple[str, str]] = []
        if artwork is not None:
            recipe = parse_recipe(recipes.get(artwork.recipe_id))
            personalization.extend(
                (c.element or c.tab, c.value) for c in recipe.components if c.element_type == "text"
            )
        personalization.extend(attributes.get(line.id, []))
        lines.append(
            TravelerLine(
                line_no=line.line_no,
                line_reference=line.line_reference,
                sku=line.sku,
                description=line.product_description,
                quantity=line.quantity,
                recipe_id=line.recipe_id,
                personalization=tuple(personalization),
                artwork_files=(
                    (Path(artwork.pdf_path).name, Path(artwork.png_path).name) if artwork else ()
                ),
            )
        )
    country = (order.ship_to or {}).get("country")
    return TravelerDocument(
        order_ref=order.order_ref,
        order_number=order.order_number,
        order_date=order.order_date.date().isoformat(),
        partner_code=partner.code,
        partner_name=partner.name,
        ship_method=order.ship_method_description,
        ship_to_country=country,
        lines=tuple(lines),
    )
