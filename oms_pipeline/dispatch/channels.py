"""Channels: how a batch of files reaches a partner. Today the local folder; SFTP and 3PL
pushes implement the same ``send``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from oms_pipeline.errors import ConfigurationError
from oms_pipeline.paths import safe_component, write_atomically
from oms_pipeline.settings import partner_folder


class Channel(Protocol):
    """Delivers one batch of files to one partner."""

    def send(self, batch_name: str, files: Mapping[str, bytes]) -> list[str]:
        """Deliver ``files`` (name to bytes) as one batch; returns where each one went.

        Delivering the same batch again leaves the same files, never a second copy.
        """
        ...


class LocalFolderChannel:
    """Writes each batch into ``<partner folder>/outbox/<batch>/``, atomically per file."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def send(self, batch_name: str, files: Mapping[str, bytes]) -> list[str]:
        """See :class:`Channel`."""
        folder = self.outbox / safe_component(batch_name)
        written = []
        for name, data in files.items():
            path = folder.joinpath(*(safe_component(part) for part in name.split("/")))
            write_atomically(path, data)
            written.append(str(path))
        return written


def channel_for(channel: str, var_dir: Path, code: str) -> Channel:
    """The channel a partner is configured with.

    Raises:
        ConfigurationError: the partner names a channel this release does not have.
    """
    if channel == "local_folder":
        return LocalFolderChannel(partner_folder(var_dir, code) / "outbox")
    raise ConfigurationError(
        f"partner {code}: channel {channel!r} is not available; use 'local_folder'"
    )
