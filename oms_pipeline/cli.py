"""``oms``: the command line of the pipeline (migrate, load configuration, replay, demo, serve)."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from oms_pipeline.errors import OmsError
from oms_pipeline.settings import OmsSettings


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``oms`` command."""
    parser = argparse.ArgumentParser(prog="oms", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="create or upgrade the order store's schema")
    load = commands.add_parser("load-config", help="load catalog, partners, routing, recipes")
    load.add_argument("folder", nargs="?", type=Path, help="default: OMS_CONFIG_DIR")
    demo = commands.add_parser("demo", help="run the whole flow once, without servers")
    demo.add_argument("--deliveries", type=Path, help="a folder of Shopify deliveries")
    replay = commands.add_parser(
        "replay-rejections", help="put rejected payloads back in the queue"
    )
    replay.add_argument("landing_ids", nargs="*", type=int)
    replay_folder = commands.add_parser(
        "replay", help="post a folder of Shopify deliveries, signed, to a running service"
    )
    replay_folder.add_argument("folder", nargs="?", type=Path, help="default: the sample set")
    replay_folder.add_argument("--url", default="http://127.0.0.1:8000")
    replay_folder.add_argument("--wait", type=float, default=0, help="seconds to wait for it")
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    settings = OmsSettings()
    try:
        return int(_COMMANDS[args.command](settings, args) or 0)
    except OmsError as exc:
        _say(f"oms {args.command}: {exc}")
        return 2


def _migrate(settings: OmsSettings, _args: argparse.Namespace) -> int:
    from oms_pipeline.orders.store import OrderStore

    OrderStore(settings.resolved_database_url).migrate()
    _say(f"order store at {_redact(settings.resolved_database_url)} is up to date")
    return 0


def _load_config(settings: OmsSettings, args: argparse.Namespace) -> int:
    from oms_pipeline.orders.config import load_config, partner_folders
    from oms_pipeline.orders.store import OrderStore

    store = OrderStore(settings.resolved_database_url)
    store.migrate()
    loaded = load_config(store, args.folder or settings.config_dir)
    for folder in partner_folders(store, settings.var_dir.resolve()):
        folder.mkdir(parents=True, exist_ok=True)
    _say(f"loaded {loaded}")
    return 0


def _demo(settings: OmsSettings, args: argparse.Namespace) -> int:
    from oms_pipeline.demo import run_demo, summary_lines

    run_demo(settings, deliveries=args.deliveries, say=_say)
    _say("")
    _say(f"summary: everything in the order store ({_redact(settings.resolved_database_url)})")
    for line in summary_lines(settings):
        _say(line)
    return 0


def _replay_rejections(settings: OmsSettings, args: argparse.Namespace) -> int:
    from oms_pipeline.orders.store import OrderStore

    store = OrderStore(settings.resolved_database_url)
    count = store.replay_rejections(args.landing_ids or None)
    _say(
        f"{count} rejected payloads are queued again; with `make run` the landing sensor starts "
        "a run for them, else `make demo` (or materializing `orders`) imports them"
    )
    return 0


def _replay(settings: OmsSettings, args: argparse.Namespace) -> int:
    import time

    import requests

    from oms_pipeline.ingest.replay import replay_shopify_folder
    from oms_pipeline.settings import SAMPLES_DIR

    secrets = settings.shopify_secrets()
    if not secrets:
        _say("OMS_SHOPIFY_WEBHOOK_SECRET is not set: it signs the deliveries")
        return 2
    base = args.url.rstrip("/")
    deadline = time.monotonic() + args.wait
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=2).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline:
                _say(f"the service at {base} does not answer")
                return 1
            time.sleep(0.5)

    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
        response = requests.post(f"{base}{path}", data=body, headers=headers, timeout=10)
        return response.status_code, response.json()

    folder = args.folder or SAMPLES_DIR / "deliveries" / "shopify"
    result = replay_shopify_folder(folder, secrets[0], post)
    _say(f"replayed {len(result.answers)} deliveries from {folder}: {dict(result.counts)}")
    return 0


def _serve(settings: OmsSettings, args: argparse.Namespace) -> int:
    import uvicorn

    from oms_pipeline.api.main import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


_COMMANDS = {
    "migrate": _migrate,
    "load-config": _load_config,
    "demo": _demo,
    "replay-rejections": _replay_rejections,
    "replay": _replay,
    "serve": _serve,
}


def _redact(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
