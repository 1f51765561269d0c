"""An event loop in a thread, so synchronous hypothesis tests can drive async servers,
and the checks every answer must pass."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sanic import Sanic

T = TypeVar("T")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TIMEOUT = 20.0  # seconds: an answer slower than this is a hang


class LoopThread:
    """Runs coroutines on one event loop living in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = TIMEOUT) -> T:
        """The result of ``work``; ``TimeoutError`` (a hang) after ``timeout`` seconds."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    previous = Sanic.test_mode
    # Sanic 21.12 rewrites its HTTP classes at every app start; in test mode it starts
    # from the originals, so several apps can run in one process (as sanic-testing does).
    Sanic.test_mode = True
    runner = LoopThread()
    try:
        yield runner
    finally:
        runner.close()
        Sanic.test_mode = previous


def assert_4xx_or_200(status: int, text: str, what: object) -> None:
    """The property every answer must have: a 4xx or 200; never 5xx or anything else."""
    assert status < 500, f"{status} for {what!r:.300}: {text[:300]}"
    assert status == 200 or 400 <= status < 500, f"unexpected {status} for {what!r:.300}"


def assert_japanese_replies(replies: list[str], what: object) -> None:
    """Not silence, and every reply in Japanese."""
    assert replies, f"no reply to {what!r:.300}"
    for reply in replies:
        assert JAPANESE.search(reply), f"reply is not Japanese: {reply[:300]!r} (input {what!r:.200})"
