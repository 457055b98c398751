"""The canonical order model: what every source becomes, whatever its shape on arrival.

Field names follow the customizer's order create call (``order_number``, ``ship_to``,
``recipe_token`` there, ``recipe_id`` here), so the OrderAPI can accept the same documents.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

RECIPE_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{8}$")
MAX_QUANTITY = 100_000


class Source(StrEnum):
    """Where an order came from."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    BIGCOMMERCE = "bigcommerce"
    ORDER_API = "order_api"
    ERP = "erp"


class OrderStatus(StrEnum):
    """The order's status, derived from its lines (``cancelled`` also from the source)."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    IN_PRODUCTION = "in_production"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    ERROR = "error"


class LineStatus(StrEnum):
    """A line's status: moved only along the transitions kept in ``status_transitions``."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    IN_PRODUCTION = "in_production"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    ERROR = "error"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Frozen):
    """A postal address; every part optional because sources leave any of them out."""

    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    address_1: str | None = None
    address_2: str | None = None
    city: str | None = None
    state_region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    phone: str | None = None
    email: str | None = None
    account_number: str | None = None

    def is_shippable(self) -> bool:
        """True when a carrier could deliver to it: a street, a city and a country."""
        return bool(self.address_1 and self.city and self.country)


class OrderLineAttribute(_Frozen):
    """One OLA: free key/value data on a line, kept in the order it arrived (names may repeat)."""

    name: str
    value: str
    hidden: bool = Field(default=False, description="the source hides it from the shopper")


class OrderLine(_Frozen):
    """One product of an order, with its quantity; custom lines carry a RecipeID."""

    line_no: int = Field(ge=1, description="1-based position among the order's production lines")
    source_line_id: str | None = Field(default=None, max_length=100)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_price: Decimal
    product_description: str = Field(default="", max_length=500)
    recipe_id: str | None = None
    attributes: tuple[OrderLineAttribute, ...] = ()

    @field_validator("recipe_id")
    @classmethod
    def _recipe_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not RECIPE_ID_PATTERN.match(value):
            raise ValueError(f"RecipeID {value!r} is not 8 letters or digits")
        return value


class Order(_Frozen):
    """One customer purchase in the canonical model."""

    source: Source
    shop: str = Field(max_length=255, description="the store or account the order belongs to")
    source_order_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    order_number: str = Field(min_length=1, max_length=100)
    order_date: datetime
    source_updated_at: datetime
    currency: str = Field(min_length=3, max_length=3)
    sales_channel: str = "b2c"
    cancelled: bool = False
    total_price: Decimal | None = None
    ship_method_carrier: str | None = Field(default=None, max_length=100)
    ship_method_code: str | None = Field(default=None, max_length=100)
    ship_method_description: str | None = Field(default=None, max_length=255)
    ship_to: Address | None = None
    sold_to: Address | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    custom_attributes: tuple[OrderLineAttribute, ...] = ()
    lines: tuple[OrderLine, ...]

    @field_validator("order_date", "source_updated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("times inside the system are timezone-aware")
        return value

    @property
    def order_ref(self) -> str:
        """The order's reference across the system, printed on travelers and used in files."""
        return f"{self.source.value}-{self.source_order_id}"
