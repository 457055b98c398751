"""Typed dependencies of the HTTP service: settings and the order store, one per process."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import OmsSettings


def get_settings(request: Request) -> OmsSettings:
    """The service's settings, read once at start-up."""
    settings: OmsSettings = request.app.state.settings
    return settings


def get_store(request: Request) -> OrderStore:
    """The service's order store."""
    store: OrderStore = request.app.state.store
    return store


SettingsDep = Annotated[OmsSettings, Depends(get_settings)]
StoreDep = Annotated[OrderStore, Depends(get_store)]
