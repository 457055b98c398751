"""Dagster resources: the order store and the working folder, configured from the environment."""

from __future__ import annotations

from pathlib import Path
from threading import Lock

from dagster import ConfigurableResource

from oms_pipeline.orders.store import OrderStore
from oms_pipeline.settings import OmsSettings

_STORES: dict[str, OrderStore] = {}
_STORES_LOCK = Lock()


class OrderStoreResource(ConfigurableResource):
    """The order store and the working folder.

    Left empty, both come from the environment at run time (``OMS_DATABASE_URL``,
    ``OMS_VAR_DIR``), never at import, so one code location serves every deployment.
    """

    database_url: str | None = None
    var_dir: str | None = None

    def settings(self) -> OmsSettings:
        """The settings with this resource's overrides applied."""
        overrides: dict[str, object] = {}
        if self.database_url:
            overrides["database_url"] = self.database_url
        if self.var_dir:
            overrides["var_dir"] = Path(self.var_dir)
        return OmsSettings(**overrides)  # type: ignore[arg-type]

    def working_folder(self) -> Path:
        """The folder for artwork, factory files and the partners' local folders."""
        return self.settings().var_dir.resolve()

    def get_store(self) -> OrderStore:
        """The order store, migrated once per process."""
        url = self.settings().resolved_database_url
        with _STORES_LOCK:
            store = _STORES.get(url)
            if store is None:
                store = OrderStore(url)
                store.migrate()
                _STORES[url] = store
            return store
