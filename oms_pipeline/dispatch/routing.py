"""Routing: each production line goes to exactly one partner, by rules kept as data."""

from __future__ import annotations

import fnmatch
import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, update

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import OrderLineRow, OrderRow, Partner, RoutingRule

log = logging.getLogger(__name__)


@dataclass
class RoutingSummary:
    """Lines routed in one batch, per partner, and lines no rule matched."""

    routed: Counter[str] = field(default_factory=Counter)
    unroutable: int = 0


def route_pending_lines(store: OrderStore) -> RoutingSummary:
    """Give every unrouted line of a live order the partner of the first matching rule.

    Rules are tried by ascending priority; ``sku_pattern`` is a glob and ``source``, when set,
    must equal the order's source. Only active partners receive lines.
    """
    summary = RoutingSummary()
    with store.session() as session:
        rules = (
            session.execute(
                select(RoutingRule)
                .join(Partner, Partner.code == RoutingRule.partner_code)
                .where(Partner.active.is_(True))
                .order_by(RoutingRule.priority, RoutingRule.name)
            )
            .scalars()
            .all()
        )
        pending = session.execute(
            select(OrderLineRow.id, OrderLineRow.sku, OrderRow.source)
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderLineRow.partner_code.is_(None),
                OrderRow.status != "cancelled",
                OrderLineRow.status != "cancelled",
            )
        ).all()

        assignments = []
        for line_id, sku, source in pending:
            rule = next(
                (
                    r
                    for r in rules
                    if fnmatch.fnmatchcase(sku, r.sku_pattern) and r.source in (None, source)
                ),
                None,
            )
            if rule is None:
                summary.unroutable += 1
                continue
            assignments.append(
                {"id": line_id, "partner_code": rule.partner_code, "routing_rule": rule.name}
            )
            summary.routed[rule.partner_code] += 1

        if assignments:
            session.execute(update(OrderLineRow), assignments)
    if summary.unroutable:
        log.warning(
            "%d lines match no routing rule; add a rule with pattern '*'", summary.unroutable
        )
    return summary
