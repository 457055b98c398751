"""The HTTP service: webhook receivers today; the OrderAPI and partner API mount here too.

Run it with ``uvicorn oms_pipeline.api.main:app`` or ``oms serve``.
"""

from __future__ import annotations

from fastapi import FastAPI

from oms_pipeline.api import webhooks
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import OmsSettings


def create_app(settings: OmsSettings | None = None, store: OrderStore | None = None) -> FastAPI:
    """Build the service.

    Args:
        settings: defaults to the environment's.
        store: defaults to a store on ``settings.resolved_database_url``, migrated at start.
    """
    settings = settings or OmsSettings()
    if store is None:
        store = OrderStore(settings.resolved_database_url)
        store.migrate()
    app = FastAPI(
        title="oms-pipeline",
        summary="Order management for custom, personalized products",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.include_router(webhooks.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Liveness for load balancers and scripts; says nothing about any order."""
        return {"status": "ok"}

    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory oms_pipeline.api.main:app``."""
    return create_app()
