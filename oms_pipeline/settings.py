"""The one settings class: every value comes from the environment (``OMS_*``), never a file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from oms_pipeline.paths import safe_component

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"


class OmsSettings(BaseSettings):
    """Runtime settings of the pipeline, the HTTP service and the CLI.

    Attributes:
        var_dir: working folder for the embedded database, artwork, factory files and the
            partners' local folders.
        database_url: SQLAlchemy URL of the order store; SQLite under ``var_dir`` by default.
        config_dir: folder holding catalog, partners, routing rules, connections and recipes.
        shopify_webhook_secret: the Shopify app's secret that signs webhooks.
        shopify_webhook_secret_previous: the secret before the last rotation; Shopify may still
            sign with it for up to an hour.
        customizer_url: base URL of the customizer's Admin API (``.../api/v1``); when unset,
            recipes come from the embedded recipe store only.
        customizer_api_key: the Admin API key (Basic auth user).
        customizer_api_secret: the Admin API secret (Basic auth password).
    """

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    var_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    config_dir: Path = Field(default=SAMPLES_DIR)
    shopify_webhook_secret: SecretStr | None = None
    shopify_webhook_secret_previous: SecretStr | None = None
    customizer_url: str | None = None
    customizer_api_key: SecretStr | None = None
    customizer_api_secret: SecretStr | None = None

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL to use: ``OMS_DATABASE_URL`` or SQLite in the working folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'oms.db').resolve()}"

    def shopify_secrets(self) -> list[bytes]:
        """The secrets a Shopify signature may be made with, current first."""
        secrets = [self.shopify_webhook_secret, self.shopify_webhook_secret_previous]
        values = [s.get_secret_value() for s in secrets if s is not None]
        return [value.encode("utf-8") for value in values if value.strip()]


def partner_folder(var_dir: Path, partner_code: str) -> Path:
    """The local folder of one partner: ``outbox/`` is what we send, ``inbox/`` what it sends."""
    return var_dir / "partners" / safe_component(partner_code)
