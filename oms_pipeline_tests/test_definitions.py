"""The code location loads, its lineage is the order flow, every box explains itself, and the
shipped Dagster instance settings are valid."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from oms_pipeline.definitions import defs

FLOW = [
    ("landed_payloads", "orders"),
    ("landed_payloads", "order_rejections"),
    ("orders", "line_routes"),
    ("orders", "artwork_files"),
    ("line_routes", "travelers"),
    ("artwork_files", "travelers"),
    ("travelers", "partner_dispatches"),
    ("partner_dispatches", "order_status"),
]


def test_lineage_is_the_order_flow() -> None:
    graph = defs.resolve_asset_graph()
    for upstream, downstream in FLOW:
        parents = graph.get(AssetKey(downstream)).parent_keys
        assert AssetKey(upstream) in parents, (upstream, downstream)


def test_every_asset_is_described_and_every_sensor_starts_running() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        description = graph.get(key).description or ""
        assert len(description) > 40, key
    sensors = list(defs.sensors or [])
    assert {s.name for s in sensors} == {
        "landed_payloads_sensor",
        "partner_dispatch_sensor",
        "partner_status_file_sensor",
    }
    assert all(s.default_status.value == "RUNNING" for s in sensors)


def test_shipped_instance_settings_load(tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[1] / "oms_pipeline" / "dagster.yaml"
    shutil.copy(source, tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
