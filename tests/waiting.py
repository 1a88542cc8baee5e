"""Waiting for a condition in tests, with a deadline generous enough for a slow, busy machine.

Never sleep a fixed time and then assert: wait until what you expect holds, and
fail (with a description of what did not happen) only after `timeout` seconds.
"""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")
DEFAULT_TIMEOUT = 30.0


def wait_until(predicate: Callable[[], T], timeout: float = DEFAULT_TIMEOUT, interval: float = 0.02,
               message: str | Callable[[], str] = "") -> T:
    """Call `predicate` until it returns something true and return that; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"still not true after {timeout:g} s: {text or getattr(predicate, '__name__', '')}")
        time.sleep(interval)
