"""Bad input to every API gets a 4xx with a specific JSON error, never a 500 or a crash."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import aiohttp
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
    ("POST", "api/phone/devices/" + "9" * 40 + "/logout", "", 400, "at most 12 digits"),
    ("POST", "api/phone/devices/%C2%B2/logout", "", 400, "at most 12 digits"),
    ("POST", "api/phone/devices/0/logout", "", 400, "positive integer"),
    ("POST", "api/phone/link", '{"ref": "' + "r" * 5000 + '"}', 400, "'ref' is longer"),
    ("POST", "api/client/unpair", '{"device_id": ' + "9" * 40 + ', "secret": "x"}', 400, "1 to"),
    ("POST", "api/client/unpair", '{"device_id": -5, "secret": "x"}', 400, "'device_id'"),
    ("POST", "api/client/unpair", '{"device_id": 1e400, "secret": "x"}', 400, "'device_id'"),
    (
        "POST",
        "api/client/unpair",
        '{"device_id": 1, "secret": "' + "s" * 500 + '"}',
        400,
        "'secret'",
    ),
    ("POST", "api/client/unpair", '{"device_id": 1, "secret": ["x"]}', 400, "'secret'"),
    ("POST", "api/client/decoy", "{}", 400, "'key', 'label' and 'where'"),
    ("POST", "api/client/decoy", '{"key": 1, "label": "x", "where": "menu"}', 400, "'key'"),
    (
        "POST",
        "api/client/decoy",
        '{"key": "a", "label": "b", "where": "' + "w" * 300 + '"}',
        400,
        "'where' is longer",
    ),
    (
        "POST",
        "api/client/decoy",
        '{"key": "a", "label": "b", "where": "m", "x": 1}',
        400,
        "unknown field 'x'",
    ),
    ("POST", "api/sim/config", '{"generation": "rail-2030"}', 400, "'wds-2026'"),
    ("POST", "api/sim/config", '{"layout": "classic", "generation": "wds-2026"}', 400, "disagree"),
    ("POST", "api/sim/config", '{"mutate": 1.5}', 400, "'mutate'"),
    ("POST", "api/sim/config", '{"mutate": -1}', 400, "'mutate'"),
    ("POST", "api/sim/config", '{"strip_controls": "yes"}', 400, "'strip_controls'"),
    ("POST", "api/sim/config", '{"locale": "en-XB"}', 400, "'x-words'"),
    ("GET", "api/client/config?mutate=seven", "", 400, "'mutate'"),
    ("GET", "api/client/config?generation=wds", "", 400, "'generation'"),
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


def test_refused_long_value_is_quoted_back_shortened(sim: SimulatorHandle) -> None:
    status, answer = send(sim, "POST", "api/phone/devices/" + "7" * 5000 + "/logout", "")
    assert status == 400
    assert len(answer["error"]) < 200 and "5000 characters" in answer["error"]


def test_decoy_clicks_are_listed_until_reset(sim: SimulatorHandle) -> None:
    body = '{"key": "delete_chat", "label": "Delete chat", "where": "menu"}'
    assert send(sim, "POST", "api/client/decoy", body)[0] == 200
    assert [(d["key"], d["where"]) for d in sim.decoys()] == [("delete_chat", "menu")]
    sim.reset()
    assert sim.decoys() == []


async def test_socket_hello_with_an_over_long_device_id_gets_the_qr(sim: SimulatorHandle) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.url + "ws") as socket:
        hello = {"type": "hello", "device_id": 10**40, "secret": "x" * 10_000}
        await socket.send_str(json.dumps(hello))
        kinds = []
        async for message in socket:
            kinds.append(json.loads(message.data)["type"])
            if kinds[-1] == "qr":
                break
        assert kinds == ["config", "resumed", "qr"]
