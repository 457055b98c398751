"""Recipes from the customizer's Admin API, served by a loopback HTTP server that follows its
documented contract (``GET /api/v1/recipes/{id}``, HTTP Basic auth): fetched once and kept,
and lines wait, without failing the run, when the customizer refuses, lacks the recipe or is
down, or when the recipe is for another product."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from oms_pipeline.artwork.production import make_pending_artwork
from oms_pipeline.artwork.recipes import CustomizerRecipeSource
from oms_pipeline.errors import OmsError, RecipeNotFound
from oms_pipeline.orders.store import OrderStore
from oms_pipeline.orders.tables import ArtworkFile, Recipe
from oms_pipeline.settings import SAMPLES_DIR, OmsSettings
from oms_pipeline_tests.factories import add_line, add_order

KEY, SECRET = "api-key", "api-secret"
REMOTE_TOKEN = "Rm7Te5Xy"


@dataclass
class FakeCustomizer:
    """The customizer's recipe endpoint on loopback, and the requests it saw."""

    url: str
    recipes: dict[str, dict[str, object]]
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def customizer() -> Iterator[FakeCustomizer]:
    document = json.loads((SAMPLES_DIR / "recipes" / "A1b2C3d4.json").read_text())
    document["data"]["token"] = REMOTE_TOKEN
    recipes: dict[str, dict[str, object]] = {REMOTE_TOKEN: document}
    paths: list[str] = []
    expected_auth = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            paths.append(self.path)
            prefix = "/api/v1/recipes/"
            if self.headers.get("Authorization") != expected_auth:
                self._answer(401, {"error": "Unauthorized", "message": "Invalid credentials"})
            elif not self.path.startswith(prefix) or self.path[len(prefix) :] not in recipes:
                self._answer(404, {"error": "Not Found", "message": "Recipe not found"})
            else:
                self._answer(200, recipes[self.path[len(prefix) :]])

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeCustomizer(f"http://127.0.0.1:{server.server_address[1]}/api/v1", recipes, paths)
    server.shutdown()
    server.server_close()


def _custom_line(store: OrderStore, recipe_id: str) -> None:
    with store.session() as session:
        order = add_order(session, "4242")
        add_line(session, order, 1, "CAP-EMB-NAVY", "acme-embroidery", recipe_id)


def _settings(base: OmsSettings, url: str, secret: str = SECRET) -> OmsSettings:
    return base.model_copy(
        update={
            "customizer_url": url,
            "customizer_api_key": SecretStr(KEY),
            "customizer_api_secret": SecretStr(secret),
        }
    )


def test_missing_recipe_is_fetched_once_and_kept(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore, customizer: FakeCustomizer
) -> None:
    _custom_line(sqlite_store, REMOTE_TOKEN)
    settings = _settings(sqlite_settings, customizer.url)

    summary = make_pending_artwork(sqlite_store, settings)

    assert summary.rendered == 1 and not summary.waiting
    assert customizer.paths == [f"/api/v1/recipes/{REMOTE_TOKEN}"]
    with sqlite_store.session() as session:
        kept = session.get(Recipe, REMOTE_TOKEN)
        artwork = session.execute(select(ArtworkFile)).scalar_one()
    assert kept is not None and kept.document == customizer.recipes[REMOTE_TOKEN]
    assert Path(artwork.pdf_path).read_bytes().startswith(b"%PDF")

    # Embedded recipes are never fetched, and a kept one is not fetched again.
    customizer.recipes.clear()
    assert make_pending_artwork(sqlite_store, settings).rendered == 0
    assert len(customizer.paths) == 1


@pytest.mark.parametrize(
    ("recipe_id", "secret", "says"),
    [
        ("Zz9Zz9Zz", SECRET, "has no recipe Zz9Zz9Zz"),
        (REMOTE_TOKEN, "wrong", "answered 401"),
    ],
)
def test_line_waits_when_the_customizer_refuses(
    sqlite_settings: OmsSettings,
    sqlite_store: OrderStore,
    customizer: FakeCustomizer,
    recipe_id: str,
    secret: str,
    says: str,
) -> None:
    _custom_line(sqlite_store, recipe_id)
    summary = make_pending_artwork(sqlite_store, _settings(sqlite_settings, customizer.url, secret))
    assert summary.rendered == 0
    assert says in summary.waiting["shopify-4242-1"]
    assert secret not in summary.waiting["shopify-4242-1"]
    with sqlite_store.session() as session:
        assert session.execute(select(ArtworkFile)).first() is None


def test_line_waits_when_the_customizer_is_down(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    _custom_line(sqlite_store, REMOTE_TOKEN)
    down = _settings(sqlite_settings, "http://127.0.0.1:9/api/v1")
    summary = make_pending_artwork(sqlite_store, down)
    assert "could not be reached" in summary.waiting["shopify-4242-1"]


def test_client_refuses_what_is_not_a_recipe_id(customizer: FakeCustomizer) -> None:
    client = CustomizerRecipeSource(customizer.url, KEY, SECRET)
    with pytest.raises(RecipeNotFound):
        client.get("../../admin")
    assert customizer.paths == []
    with pytest.raises(OmsError, match="401"):
        CustomizerRecipeSource(customizer.url, KEY, "bad").get(REMOTE_TOKEN)


def test_a_recipe_for_another_product_holds_the_line(
    sqlite_settings: OmsSettings, sqlite_store: OrderStore
) -> None:
    _custom_line(sqlite_store, "1609c0e8")  # a mug's recipe on a cap line
    summary = make_pending_artwork(sqlite_store, sqlite_settings)
    assert summary.rendered == 0
    reason = summary.waiting["shopify-4242-1"]
    assert "made for SKU MUG-11OZ-WHITE" in reason and "CAP-EMB-NAVY" in reason
