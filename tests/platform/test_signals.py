"""Every signal has a defined meaning: the router's actions, run on the loop, and undone."""

from __future__ import annotations

import asyncio
import os
import signal

from loguru import logger

from agent.outcome import Trigger
from agent.platform.signals import SIGNAL_ACTIONS, SignalRouter, realtime_signals


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def request_stop(self, trigger: Trigger = Trigger.SIGNAL) -> None:
        self.calls.append(f"stop {trigger.value}")

    def request_reload(self) -> None:
        self.calls.append("reload")


def test_every_signal_that_would_end_the_process_has_an_action() -> None:
    terminating = {
        "SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGVTALRM",
        "SIGPROF", "SIGIO", "SIGPWR", "SIGSTKFLT", "SIGXCPU", "SIGXFSZ", "SIGTTIN", "SIGTTOU",
        "SIGTSTP",
    }  # fmt: skip
    assert terminating <= set(SIGNAL_ACTIONS)
    assert len(realtime_signals()) == signal.SIGRTMAX - signal.SIGRTMIN + 1


async def test_signals_reach_their_actions_and_the_rest_are_logged_not_fatal() -> None:
    daemon = Recorder()
    router = SignalRouter(
        status=lambda: daemon.calls.append("status"), reopen=lambda: daemon.calls.append("reopen")
    )
    router.attach(daemon)  # type: ignore[arg-type]
    logged: list[str] = []
    sink = logger.add(lambda message: logged.append(str(message)), level="DEBUG")
    remove = router.install()
    try:
        assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
        rt_signal = signal.SIGRTMIN + 3
        for number in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGALRM, rt_signal):
            os.kill(os.getpid(), number)
        os.kill(os.getpid(), signal.SIGPIPE)
        os.kill(os.getpid(), signal.SIGTTOU)
        async with asyncio.timeout(10):
            while not any("SIGRTMIN+3 received" in line for line in logged):
                await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        async with asyncio.timeout(10):
            while "stop signal" not in daemon.calls:
                await asyncio.sleep(0.01)
    finally:
        remove()
        logger.remove(sink)
    assert daemon.calls == ["status", "reopen", "reload", "stop signal"]
    assert any("SIGALRM received: ignored" in line and "WARNING" in line for line in logged)
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # Python's own default
    assert signal.getsignal(signal.SIGTTOU) == signal.SIG_DFL


def test_a_repeated_unused_signal_is_a_warning_once() -> None:
    logged: list[str] = []
    sink = logger.add(lambda message: logged.append(str(message)), level="DEBUG")
    router = SignalRouter()
    router.unused("SIGALRM")
    router.unused("SIGALRM")
    logger.remove(sink)
    assert ["WARNING" in line for line in logged] == [True, False]
