"""Where Chromium keeps one origin's web storage in a profile, and which records are its own.

- Local Storage (``Local Storage/leveldb``, one LevelDB for every origin): items
  ``_<origin>\\x00<name>`` and the metadata ``META:<origin>`` / ``METAACCESS:<origin>``.
- Session Storage (``Session Storage``, one LevelDB): ``namespace-<id>-<storage key>`` names a
  map id, whose items are ``map-<map id>-<name>``; a map belongs to the client unless a namespace
  of another origin names it.
- IndexedDB (``IndexedDB/<scheme>_<host>_<port>.indexeddb.leveldb`` and ``.blob``): one
  directory per origin (port 0 for the scheme's default), removed whole: its LevelDB uses
  Chromium's own comparator, which this project does not write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from agent.probe.leveldb import Entry

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_bytes(origin: str) -> bytes:
    return origin.encode("latin-1")


def local_storage_selector(
    origin: str,
) -> Callable[[Mapping[bytes, Entry]], Callable[[bytes], bool]]:
    """Given an origin, return the Local Storage selector of its keys."""
    encoded = _origin_bytes(origin)
    exact = {b"META:" + encoded, b"METAACCESS:" + encoded}
    item_prefix = b"_" + encoded + b"\x00"

    def select(_latest: Mapping[bytes, Entry]) -> Callable[[bytes], bool]:
        return lambda key: key in exact or key.startswith(item_prefix)

    return select


def _namespace_origin(key: bytes, origins: tuple[bytes, ...]) -> bool:
    return key.startswith(b"namespace-") and any(key.endswith(b"-" + o) for o in origins)


def _map_id(key: bytes) -> bytes | None:
    if not key.startswith(b"map-"):
        return None
    identifier, separator, _name = key[4:].partition(b"-")
    return identifier if separator and identifier.isdigit() else None


def session_storage_selector(
    origin: str,
) -> Callable[[Mapping[bytes, Entry]], Callable[[bytes], bool]]:
    """Given an origin, return the Session Storage selector of its namespaces and maps."""
    encoded = _origin_bytes(origin)
    origins = (encoded, encoded + b"/")  # storage keys serialize as the origin's URL

    def select(latest: Mapping[bytes, Entry]) -> Callable[[bytes], bool]:
        others = {
            entry.value
            for key, entry in latest.items()
            if entry.live and key.startswith(b"namespace-") and not _namespace_origin(key, origins)
        }

        def drop(key: bytes) -> bool:
            if _namespace_origin(key, origins):
                return True
            map_id = _map_id(key)
            return map_id is not None and map_id not in others

        return drop

    return select


def indexeddb_identifier(origin: str) -> str:
    """Given an origin, return the name Chromium gives its IndexedDB directories (no suffix)."""
    parts = urlsplit(origin)
    port = parts.port or 0
    if port == _DEFAULT_PORTS.get(parts.scheme):
        port = 0
    return f"{parts.scheme}_{parts.hostname}_{port}"


def indexeddb_names(origin: str) -> tuple[str, str]:
    """Given an origin, return its IndexedDB directory names (database, blobs)."""
    identifier = indexeddb_identifier(origin)
    return f"{identifier}.indexeddb.leveldb", f"{identifier}.indexeddb.blob"
