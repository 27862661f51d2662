"""Origins and URLs, below every layer: the origin string Chromium files a client URL's
localStorage under, and whether an endpoint is this machine's loopback."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from urllib.parse import urlsplit

from agent.errors import ConfigError

REAL_CLIENT_ORIGIN = "https://web.whatsapp.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=64)
def origin_of(url: str) -> str:
    """Given an http(s) URL or origin, return scheme://host[:port] as Chromium serialises it.

    The default port is omitted, the host is lower-cased (IDNA-encoded if not ASCII), IPv6 hosts
    keep their brackets. Raise ConfigError if the URL is not http(s) or has no host or a bad port.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"invalid client URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigError(f"client URL {url!r} must start with http:// or https://")
    host = parts.hostname
    if not host:
        raise ConfigError(f"client URL {url!r} has no host")
    if ":" in host:
        host = f"[{host}]"
    elif not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ConfigError(f"client URL {url!r} has an invalid host name") from exc
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def is_loopback_endpoint(endpoint: str) -> bool:
    """Return True when a CDP endpoint URL points at this machine's loopback interface."""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
