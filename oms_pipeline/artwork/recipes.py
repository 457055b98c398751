"""Where recipes come from: the embedded recipe store, or the customizer's recipe API."""

from __future__ import annotations

from typing import Any, Protocol

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from oms_pipeline.errors import OmsError, RecipeNotFound
from oms_pipeline.orders.model import RECIPE_ID_PATTERN
from oms_pipeline.orders.tables import Recipe


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
        response = self._http.get(url, auth=self._auth, timeout=self._timeout)
        if response.status_code == 404:
            raise RecipeNotFound(f"the customizer has no recipe {recipe_id}")
        if response.status_code != 200:
            raise OmsError(
                f"the customizer answered {response.status_code} for recipe {recipe_id}; "
                "check the API key and secret, then retry the run"
            )
        document: dict[str, Any] = response.json()
        return document
