"""Where recipes come from: the embedded recipe store, or the customizer's recipe API."""

from __future__ import annotations

from typing import Any, Protocol

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from oms_pipeline.errors import OmsError, RecipeNotFound
from oms_pipeline.orders.model import RECIPE_ID_PATTERN
from oms_pipeline.orders.tables import Recipe
from oms_pipeline.settings import OmsSettings


class RecipeSource(Protocol):
    """Anything that answers a RecipeID with the customizer's recipe document."""

    def get(self, recipe_id: str) -> dict[str, Any]:
        """The recipe document (``{"data": {"token", "sku", "body"}}``).

        Raises:
            RecipeNotFound: there is no recipe under that id.
        """
        ...


class EmbeddedRecipeSource:
    """Recipes kept in the order store's ``recipes`` table (loaded by ``oms load-config``)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, recipe_id: str) -> dict[str, Any]:
        """See :class:`RecipeSource`."""
        document = self._session.execute(
            select(Recipe.document).where(Recipe.token == recipe_id)
        ).scalar_one_or_none()
        if document is None:
            raise RecipeNotFound(f"recipe {recipe_id} is not in the embedded recipe store")
        return document


class CachedRecipeSource:
    """The embedded store first; a recipe it lacks is fetched from the customizer and kept.

    Recipes do not change once an order is placed, so a fetched recipe is stored for good:
    travelers, re-renders and ERP look-ups by RecipeID read it from the order store.
    """

    def __init__(self, session: Session, remote: RecipeSource) -> None:
        self._embedded = EmbeddedRecipeSource(session)
        self._session = session
        self._remote = remote

    def get(self, recipe_id: str) -> dict[str, Any]:
        """See :class:`RecipeSource`."""
        try:
            return self._embedded.get(recipe_id)
        except RecipeNotFound:
            pass
        document = self._remote.get(recipe_id)
        data = document.get("data", document)
        if not isinstance(data, dict) or data.get("token") != recipe_id:
            raise OmsError(
                f"the customizer answered recipe {recipe_id} with a document for "
                f"{data.get('token') if isinstance(data, dict) else None!r}; not stored"
            )
        self._session.merge(
            Recipe(token=recipe_id, sku=str(data.get("sku", "")), document=document)
        )
        return document


def recipe_source(settings: OmsSettings, session: Session) -> RecipeSource:
    """The recipe source the settings ask for: embedded, or embedded backed by the customizer."""
    if not settings.customizer_url:
        return EmbeddedRecipeSource(session)
    if settings.customizer_api_key is None or settings.customizer_api_secret is None:
        raise OmsError(
            "OMS_CUSTOMIZER_URL is set but OMS_CUSTOMIZER_API_KEY or OMS_CUSTOMIZER_API_SECRET "
            "is not; set both, or unset the URL to use the embedded recipe store"
        )
    remote = CustomizerRecipeSource(
        settings.customizer_url,
        settings.customizer_api_key.get_secret_value(),
        settings.customizer_api_secret.get_secret_value(),
    )
    return CachedRecipeSource(session, remote)


class CustomizerRecipeSource:
    """The customizer's Admin API: ``GET {base_url}/recipes/{id}`` with HTTP Basic auth.

    Args:
        base_url: e.g. ``https://os.vucustom.com/api/v1``.
        api_key: the API key (user name of Basic auth).
        api_secret: the API secret (password of Basic auth).
        timeout: seconds for connect and read.
    """

    def __init__(self, base_url: str, api_key: str, api_secret: str, timeout: float = 10.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = (api_key, api_secret)
        self._timeout = timeout
        self._http = requests.Session()

    def get(self, recipe_id: str) -> dict[str, Any]:
        """See :class:`RecipeSource`."""
        if not RECIPE_ID_PATTERN.match(recipe_id):
            raise RecipeNotFound(f"{recipe_id!r} is not a RecipeID")
        url = f"{self._base_url}/recipes/{recipe_id}"
        try:
            response = self._http.get(url, auth=self._auth, timeout=self._timeout)
        except requests.RequestException as exc:
            raise OmsError(
                f"the customizer could not be reached for recipe {recipe_id} "
                f"({type(exc).__name__}); the line waits and the next run tries again"
            ) from None
        if response.status_code == 404:
            raise RecipeNotFound(f"the customizer has no recipe {recipe_id}")
        if response.status_code != 200:
            raise OmsError(
                f"the customizer answered {response.status_code} for recipe {recipe_id}; "
                "check the API key and secret, then retry the run"
            )
        try:
            document = response.json()
        except ValueError:
            raise OmsError(f"the customizer's answer for recipe {recipe_id} is not JSON") from None
        if not isinstance(document, dict):
            raise OmsError(f"the customizer's answer for recipe {recipe_id} is not an object")
        return document
