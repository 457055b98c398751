"""File-system layout under the working folder, and the one way file names are built."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from oms_pipeline.errors import UnsafeFileName

_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def safe_component(value: str) -> str:
    """Return ``value`` unchanged if it is safe as one path component, else raise.

    Args:
        value: an identifier that will appear in a file or folder name.

    Raises:
        UnsafeFileName: the value is empty, too long, or holds anything but letters, digits,
            dot, dash and underscore (so no separators, no ``..``, no leading dot).
    """
    if not _SAFE_COMPONENT.fullmatch(value) or ".." in value:
        raise UnsafeFileName(
            f"{value!r} cannot be used in a file name: only letters, digits, '.', '-' and '_' "
            "are allowed, at most 80 characters, not starting with '.' or '-'"
        )
    return value


def slug_component(value: str) -> str:
    """Turn any identifier into a safe path component, keeping it readable where possible.

    Unsafe characters become ``_``; a short hash of the original keeps distinct inputs distinct.
    """
    if _SAFE_COMPONENT.fullmatch(value) and ".." not in value:
        return value
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", value)
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip("._-")[:60].strip("._-") or "x"
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:10]
    return f"{cleaned}-{digest}"


def write_atomically(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Returns:
        False when the file already holds exactly these bytes (nothing written), else True.
    """
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True
