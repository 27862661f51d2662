"""Deriving the localStorage origin from a client URL."""

from __future__ import annotations

import pytest

from agent.errors import ConfigError
from agent.urls import origin_of


def test_real_client_url_gives_origin_without_path_or_default_port() -> None:
    assert origin_of("https://web.whatsapp.com:443/some/path?x=1#y") == "https://web.whatsapp.com"


def test_simulator_url_keeps_its_port() -> None:
    assert origin_of("http://127.0.0.1:8931/") == "http://127.0.0.1:8931"


def test_http_default_port_is_omitted_and_host_lower_cased() -> None:
    assert origin_of("HTTP://LocalHost:80") == "http://localhost"


def test_ipv6_host_keeps_brackets() -> None:
    assert origin_of("http://[::1]:8080/x") == "http://[::1]:8080"


def test_non_ascii_host_is_idna_encoded() -> None:
    assert origin_of("https://bücher.example/") == "https://xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://web.whatsapp.com", "must start with http:// or https://"),
        ("web.whatsapp.com", "must start with http:// or https://"),
        ("https:///path", "has no host"),
        ("http://127.0.0.1:99999/", "invalid client URL"),
    ],
)
def test_bad_url_raises_config_error_naming_the_problem(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        origin_of(url)
