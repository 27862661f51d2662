"""aiomqtt's errors stop at agent/fleet/connection.py: callers see BrokerError (a FleetError)."""

from __future__ import annotations

import aiomqtt
import pytest

from agent.errors import KioskguardError
from agent.fleet.connection import BrokerError, make_client
from agent.fleet.testing import free_port
from agent.settings import FleetSettings


async def test_a_broker_nobody_listens_for_is_a_broker_error_not_aiomqtts() -> None:
    settings = FleetSettings(broker=f"127.0.0.1:{free_port()}", tls=False)
    client = make_client(settings, "kioskguard-test", username="k1", persistent=False)
    with pytest.raises(BrokerError) as caught:
        async with client:
            pass
    assert isinstance(caught.value, KioskguardError)
    assert not isinstance(caught.value, aiomqtt.MqttError)
    assert isinstance(caught.value.__cause__, aiomqtt.MqttError)  # the original, for the log
    assert str(caught.value) == str(caught.value.__cause__)


async def test_a_publish_before_connecting_is_a_broker_error() -> None:
    settings = FleetSettings(broker=f"127.0.0.1:{free_port()}", tls=False)
    client = make_client(settings, "kioskguard-test", username="k1", persistent=False)
    with pytest.raises(BrokerError):
        await client.publish("kioskguard/v1/lib/k1/events", b"{}", timeout_s=5)
