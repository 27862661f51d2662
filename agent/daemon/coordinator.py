"""Single-flight logouts: at most one logout per profile at a time, with a deadline.

A trigger that arrives while the profile's logout runs joins it and gets the same Outcome.
Each logout is recorded in the state file while it runs (for recovery after a crash), retried
inside its deadline when it fails, settled against what the daemon saw live (a session that
never reached the disk: agent/daemon/live.py), and handed to the outcome hooks (audit log,
metrics).
A logout cut short (the daemon stops and its shutdown deadline passed) still reports an
outcome, failed, naming why; its state record stays so the next start finishes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from loguru import logger

from agent.daemon.ports import Clock, SessionAgent
from agent.daemon.state import LogoutInProgress, StateFile, StateFileError
from agent.errors import KioskguardError
from agent.outcome import Outcome, Result, Trigger
from agent.privacy import scrub
from agent.settings import ProfileSettings

OutcomeHook = Callable[[Outcome], None]


class LogoutCoordinator:
    """Runs logouts through a SessionAgent, one at a time per profile."""

    def __init__(
        self,
        agent: SessionAgent,
        state: StateFile,
        clock: Clock,
        *,
        retries: int = 0,
        hooks: Sequence[OutcomeHook] = (),
        settle: Callable[[Outcome], Outcome] | None = None,
    ) -> None:
        self.agent = agent
        self.state = state
        self.clock = clock
        self.retries = retries
        self.hooks = list(hooks)
        self.settle = settle  # sees each outcome before it is recorded (agent/daemon/live.py)
        self._running: dict[str, asyncio.Task[Outcome]] = {}
        self._interrupt_reason = "cancelled"

    def busy(self, profile_name: str) -> bool:
        """Return True while the profile's logout runs."""
        return profile_name in self._running

    async def logout(
        self,
        profile: ProfileSettings,
        trigger: Trigger,
        deadline_s: float,
        *,
        spent_s: float = 0.0,
        retries: int | None = None,
        note: str = "",
    ) -> Outcome:
        """Given a profile, a trigger and a deadline, return the Outcome of its logout.

        Join the logout already running for the profile, if any. The logout itself goes on
        (shielded) when this caller is cancelled or its own deadline passes first. spent_s is
        the part of the deadline already used since the trigger (probing which profiles to
        log out): the logout gets the rest. retries overrides the configured retries (0: the
        caller retries itself, each try its own outcome and audit line); note, if given, is the
        outcome's first note (why the logout runs).
        """
        budget_s = max(deadline_s - spent_s, 0.001)
        task = self._running.get(profile.name)
        if task is None:
            extra = self.retries if retries is None else retries
            run = self._run(profile, trigger, deadline_s, budget_s, extra, note)
            task = asyncio.create_task(run)
            self._running[profile.name] = task
            task.add_done_callback(lambda done: self._forget(profile.name, done))
            return await asyncio.shield(task)  # the task enforces this deadline itself
        logger.info("{}: {} joins the logout already running", profile.name, trigger.value)
        try:
            return await asyncio.wait_for(asyncio.shield(task), budget_s)
        except TimeoutError:
            return Outcome(
                profile=profile.name,
                trigger=trigger,
                error=f"deadline of {deadline_s:g} s passed while another logout was running",
            )

    async def interrupt_all(self, reason: str) -> list[Outcome]:
        """Cut every running logout short; return their (failed, reported) outcomes."""
        tasks = list(self._running.values())
        if not tasks:
            return []
        self._interrupt_reason = reason
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [result for result in results if isinstance(result, Outcome)]

    async def wait_idle(self) -> None:
        """Return once no logout runs (each is bounded by its own deadline)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    def _forget(self, profile_name: str, task: asyncio.Task[Outcome]) -> None:
        if self._running.get(profile_name) is task:
            del self._running[profile_name]

    async def _run(
        self,
        profile: ProfileSettings,
        trigger: Trigger,
        deadline_s: float,
        budget_s: float,
        retries: int,
        note: str,
    ) -> Outcome:
        self.record(self.state.begin, LogoutInProgress(profile.name, trigger, self.clock.now()))
        logger.info("{}: logout starts ({})", profile.name, trigger.value)
        started = self.clock.monotonic()
        attempts = 0
        outcome = Outcome(profile=profile.name, trigger=trigger)
        try:
            async with asyncio.timeout(budget_s):
                while attempts <= retries:
                    attempts += 1
                    remaining = budget_s - (self.clock.monotonic() - started)
                    outcome = await self._attempt(profile, trigger, remaining)
                    if outcome.result is not Result.FAILED:
                        break
        except TimeoutError:
            outcome = Outcome(
                profile=profile.name,
                trigger=trigger,
                error=f"deadline of {deadline_s:g} s exceeded",
            )
        except asyncio.CancelledError:  # interrupt_all (the daemon stops): report, then end
            logger.warning("{}: logout interrupted: {}", profile.name, self._interrupt_reason)
            outcome = Outcome(
                profile=profile.name,
                trigger=trigger,
                error=f"interrupted: {self._interrupt_reason}",
            )
        outcome.profile = profile.name  # the configured name, whatever the agent reported
        if note:
            outcome.notes.insert(0, note)
        if self.settle is not None:
            outcome = self.settle(outcome)
        outcome.attempts = max(outcome.attempts, attempts)
        if not outcome.duration_ms:
            outcome.duration_ms = round((self.clock.monotonic() - started) * 1000)
        if outcome.result is not Result.FAILED:
            self.record(self.state.finish, profile.name)
        self._report(outcome)
        return outcome

    def record(self, change: Callable[[Any], None], argument: Any) -> None:
        """Update the state file; a state file that cannot be written must not stop a logout."""
        try:
            change(argument)
        except StateFileError as exc:
            logger.error("{} (a logout a crash interrupts cannot be finished after it)", exc)

    async def _attempt(
        self, profile: ProfileSettings, trigger: Trigger, remaining: float
    ) -> Outcome:
        try:
            return await self.agent.logout(profile, trigger, remaining)
        except KioskguardError as exc:
            error = scrub(str(exc))
        except Exception as exc:  # a bug in the session layer must not stop the daemon
            logger.opt(exception=exc).error("{}: logout raised unexpectedly", profile.name)
            error = f"unexpected {type(exc).__name__}"
        logger.warning("{}: logout attempt failed: {}", profile.name, error)
        return Outcome(profile=profile.name, trigger=trigger, error=error)

    def _report(self, outcome: Outcome) -> None:
        logger.info(
            "{}: logout {} ({}, {} ms)",
            outcome.profile,
            outcome.result.value,
            outcome.trigger.value,
            outcome.duration_ms,
        )
        for hook in self.hooks:
            try:
                hook(outcome)
            except Exception as exc:  # reporting must never hide the logout's own result
                logger.opt(exception=exc).error("outcome hook {!r} failed", hook)
