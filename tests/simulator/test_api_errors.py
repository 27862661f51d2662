"""Bad input to every API gets a 4xx with a specific JSON error, never a 500 or a crash."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from agent.simulator.testing import SimulatorHandle

BAD_REQUESTS = [
    # (method, path, body text, status, words the error must contain)
    ("POST", "api/sim/config", "{not json", 400, "not valid JSON"),
    ("POST", "api/sim/config", "[1, 2]", 400, "JSON object"),
    ("POST", "api/sim/config", '{"colour": "red"}', 400, "unknown field 'colour'"),
    ("POST", "api/sim/config", '{"layout": "grid"}', 400, "'classic' or 'rail'"),
    ("POST", "api/sim/config", '{"locale": "xx"}', 400, "'locale'"),
    ("POST", "api/sim/config", '{"testids": "yes"}', 400, "'testids'"),
    ("POST", "api/sim/config", '{"startup_delay_ms": -5}', 400, "'startup_delay_ms'"),
    ("POST", "api/sim/config", '{"force_screen": "qr"}', 400, "'force_screen'"),
    ("POST", "api/sim/config", '{"qr_rotate_seconds": 0}', 400, "'qr_rotate_seconds'"),
    ("POST", "api/sim/reset", '{"everything": true}', 400, "unknown field 'everything'"),
    ("POST", "api/sim/clock", "{}", 400, "'advance_seconds'"),
    ("POST", "api/sim/clock", '{"advance_seconds": "1d"}', 400, "'advance_seconds'"),
    ("POST", "api/sim/clock", '{"advance_seconds": -1}', 400, "moves forward"),
    ("POST", "api/sim/clock", '{"advance_seconds": NaN}', 400, "finite"),
    ("POST", "api/sim/clock", '{"advance_seconds": 1e300}', 400, "finite"),
    ("POST", "api/phone/link", "oops", 400, "not valid JSON"),
    ("POST", "api/phone/link", "{}", 400, "'ref'"),
    ("POST", "api/phone/link", '{"ref": 42}', 400, "'ref'"),
    ("POST", "api/phone/link", '{"ref": "2@unknown"}', 404, "not a current token"),
    ("POST", "api/phone/devices/abc/logout", "", 400, "positive integer"),
    ("POST", "api/phone/devices/99/logout", "", 404, "device 99"),
    ("GET", "api/phone/devices/1/logout", "", 405, "Method Not Allowed"),
    ("GET", "api/nowhere", "", 404, "Not Found"),
    ("POST", "api/client/unpair", "{}", 400, "'device_id'"),
    ("POST", "api/client/unpair", '{"device_id": "1", "secret": "x"}', 400, "'device_id'"),
    ("POST", "api/client/unpair", '{"device_id": 99, "secret": "x"}', 404, "device 99"),
    ("GET", "api/client/config?layout=grid", "", 400, "'layout'"),
    ("GET", "api/client/config?testids=maybe", "", 400, "'testids'"),
    ("GET", "ws?startup_delay_ms=soon", "", 400, "'startup_delay_ms'"),
]


def send(sim: SimulatorHandle, method: str, path: str, body: str) -> tuple[int, dict[str, str]]:
    data = body.encode() if body else None
    request = urllib.request.Request(sim.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize(("method", "path", "body", "status", "words"), BAD_REQUESTS)
def test_bad_request_gets_specific_json_error(
    sim: SimulatorHandle, method: str, path: str, body: str, status: int, words: str
) -> None:
    answer_status, answer = send(sim, method, path, body)
    assert (answer_status, words in answer["error"]) == (status, True), answer


def test_config_stays_unchanged_after_a_refused_update(sim: SimulatorHandle) -> None:
    send(sim, "POST", "api/sim/config", '{"layout": "classic", "locale": "xx"}')
    assert sim.config()["layout"] == "rail"


def test_partial_config_update_changes_only_named_fields(sim: SimulatorHandle) -> None:
    config = sim.configure(locale="fr", menu_delay_ms=250)
    assert (config["locale"], config["menu_delay_ms"], config["layout"]) == ("fr", 250, "rail")


def test_reset_restores_defaults_and_clock(sim: SimulatorHandle) -> None:
    sim.configure(layout="classic")
    sim.advance_clock(3600)
    sim.reset()
    assert sim.config()["layout"] == "rail"
    assert sim.request("GET", "api/sim/clock")["offset_seconds"] == 0
