"""What stands between a request and a paid run in `decompose serve`: the answers already given (served
again without a run), the day's budget, and the slots for runs at once with a bounded wait for one."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import DecomposeError


def answer_key(workflow: str, profile: dict[str, Any]) -> str:
    """The same workflow (its YAML, or a digest of it) and the same profile (whatever the key order) give the
    same key."""
    blob = json.dumps({"workflow": workflow, "profile": profile}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Answers:
    """Answers by key, the most recent `capacity` kept, and single flight: while one request computes an
    answer, the same request again waits for it instead of starting a second run."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self._done: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        answer = self._done.get(key)
        if answer is not None:
            self._done.move_to_end(key)
        return answer

    async def get_or_make(
        self, key: str, make: Callable[[], Awaitable[dict[str, Any]]]
    ) -> tuple[dict[str, Any], bool]:
        """(answer, whether it was already known). Only answers `make` returns with status ok are kept; an
        exception from `make` reaches every request waiting on it."""
        known = self.get(key)
        if known is not None:
            return known, True
        waiting = self._inflight.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting), True
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._inflight.pop(key, None)
        future.set_result(answer)
        if answer.get("status") == "ok":
            self._done[key] = answer
            while len(self._done) > self.capacity:
                self._done.popitem(last=False)
        return answer, False


class OverBudget(DecomposeError):
    """The day's budget would be passed; `retry_after_s` is the time to midnight UTC."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass
class DailyBudget:
    """Money per UTC day for runs this server starts. A run is started only if the day's spend, plus the
    estimates of the runs in flight, plus its own estimate stays within the limit (None: no limit)."""

    limit_usd: float | None
    day: dt.date | None = None
    spent_usd: float = 0.0
    reserved_usd: float = 0.0

    def _roll(self) -> None:
        today = dt.datetime.now(dt.UTC).date()
        if self.day != today:
            self.day, self.spent_usd = today, 0.0

    @staticmethod
    def seconds_to_midnight() -> int:
        now = dt.datetime.now(dt.UTC)
        midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        return max(1, math.ceil((midnight - now).total_seconds()))

    def reserve(self, estimate_usd: float) -> None:
        """Hold `estimate_usd` for a run, or raise OverBudget saying what is left."""
        self._roll()
        if self.limit_usd is None:
            return
        if self.spent_usd + self.reserved_usd + estimate_usd > self.limit_usd:
            left = self.limit_usd - self.spent_usd - self.reserved_usd
            raise OverBudget(
                f"the daily budget of ${self.limit_usd:g} is spent: ${max(left, 0):.6f} left today and this "
                f"page is estimated at ${estimate_usd:.6f}. Pages already made are still served; new ones "
                "resume at midnight UTC.",
                self.seconds_to_midnight(),
            )
        self.reserved_usd += estimate_usd

    def settle(self, estimate_usd: float, cost_usd: float) -> None:
        self._roll()
        self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)
        self.spent_usd += cost_usd

    def left_usd(self) -> float | None:
        self._roll()
        return None if self.limit_usd is None else self.limit_usd - self.spent_usd


class Busy(DecomposeError):
    """Every run slot stayed taken for the whole queue wait."""


class RunSlots:
    """At most `size` runs at once; a request waits for a slot up to `queue_timeout_s`, then is refused."""

    def __init__(self, size: int, queue_timeout_s: float) -> None:
        self.size = size
        self.queue_timeout_s = queue_timeout_s
        self._slots = asyncio.Semaphore(size)
        self.waiting = 0

    async def acquire(self) -> None:
        self.waiting += 1
        started = time.perf_counter()
        try:
            await asyncio.wait_for(self._slots.acquire(), self.queue_timeout_s)
        except TimeoutError:
            raise Busy(
                f"all {self.size} run slots stayed busy for {time.perf_counter() - started:.1f} s; "
                "retry shortly, or start the server with a higher --concurrency."
            ) from None
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self._slots.release()
