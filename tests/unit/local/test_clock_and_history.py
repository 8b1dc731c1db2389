"""Simulated time and execution-history reading."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any
from unittest import mock

from local import history
from local.clock import SimulatedClock


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_runs_fast_only_while_every_execution_waits() -> None:
    fake = FakeMonotonic()
    with mock.patch("local.clock.time.monotonic", fake):
        clock = SimulatedClock(speedup=100)
        start = clock.now()
        clock.execution_started("exec")
        fake.now += 1  # the execution works: real rate
        assert clock.now() - start == timedelta(seconds=1)
        with clock.waiting("exec"):
            fake.now += 1  # it waits: fast
            assert clock.now() - start == timedelta(seconds=101)
            with clock.busy():
                fake.now += 1  # a Lambda runs meanwhile: real rate
        assert clock.now() - start == timedelta(seconds=102)
        clock.execution_ended("exec")
        fake.now += 1  # nothing runs: fast
        assert clock.now() - start == timedelta(seconds=202)


def test_running_fast_time_stops_at_the_end_of_a_pending_wait_until_the_waiter_is_done() -> None:
    fake = FakeMonotonic()
    with mock.patch("local.clock.time.monotonic", fake):
        clock = SimulatedClock(speedup=100)
        start = clock.now()
        clock.execution_started("exec")
        with clock.waiting("exec"):
            with clock.pending_until(start + timedelta(seconds=300)):
                fake.now += 2  # the waiter wakes up late: 200 s of fast time
                assert clock.now() - start == timedelta(seconds=200)
                fake.now += 2  # later still: time stays at the wait's end, not 400 s
                assert clock.now() - start == timedelta(seconds=300)
                with clock.busy():
                    fake.now += 1  # real work still costs real time
                assert clock.now() - start == timedelta(seconds=301)
            fake.now += 1  # that wait is over; the execution waits on (a .sync task): fast again
            assert clock.now() - start == timedelta(seconds=401)


def test_advance_jumps_simulated_time() -> None:
    clock = SimulatedClock(speedup=1)
    before = clock.now()
    clock.advance(3600)
    assert clock.now() - before >= timedelta(hours=1)


def test_a_wait_ends_when_its_execution_stops_even_if_the_stop_pulse_was_missed() -> None:
    clock = SimulatedClock(speedup=1)  # an hour at the real rate: only the stop can end this wait
    pulse = threading.Event()  # moto sets and clears it at once: a waiter between slices never sees it
    stopped = threading.Event()
    threading.Timer(0.2, stopped.set).start()

    # False: ended by the stop, not by an hour of (real-rate) simulated time passing.
    assert clock.wait(3600, pulse, stopped.is_set) is False


EVENTS: list[dict[str, Any]] = [
    {"type": "ExecutionStarted"},
    {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "Plan"}},
    {"type": "TaskStateExited", "stateExitedEventDetails": {"name": "Plan"}},
    {"type": "WaitStateEntered", "stateEnteredEventDetails": {"name": "Wait"}},
    {"type": "ChoiceStateEntered", "stateEnteredEventDetails": {"name": "Done?"}},
    {"type": "SucceedStateEntered", "stateEnteredEventDetails": {"name": "Done"}},
    {"type": "ExecutionSucceeded"},
]


def test_transitions_are_states_entered() -> None:
    assert history.states_entered(EVENTS) == ["Plan", "Wait", "Done?", "Done"]
    assert history.state_transitions(EVENTS) == 4
