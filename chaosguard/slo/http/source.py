"""HTTP SLO source: a figure of a background sampler's window (its own sampler, on the runner).

:class:`HttpSource` follows the :class:`~chaosguard.slo.base.SloSource` lifecycle: ``start()``
starts its sampler's threads, ``stop()`` stops them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from chaosguard.slo.base import Observation, SloSource, SourceUnreadable
from chaosguard.slo.http.sampler import NoSamples, Sampler
from chaosguard.slo.http.target import HttpTarget

if TYPE_CHECKING:
    from chaosguard.slo.spec import HttpGuard

__all__ = ["HttpSource"]


class HttpSource(SloSource):
    """Reads ``metric`` over the last ``window_s`` seconds of its own sampler on ``url``."""

    def __init__(self, spec: HttpGuard) -> None:
        self.spec = spec
        target = HttpTarget(url=spec.url, timeout_s=spec.request_timeout_s)
        self.sampler = Sampler(
            f"guard-{spec.name}",
            target,
            spec.rate_per_s,
            concurrency=max(2, min(16, int(spec.rate_per_s * spec.request_timeout_s))),
        )
        self._started = False

    def prepare(self) -> None:
        """Build the sampler's clients and threads, parked (see :meth:`Sampler.prepare`)."""
        if not self._started:
            self.sampler.prepare()

    def start(self) -> None:
        """Start sampling (the guard does it before preflight so the first window fills)."""
        if not self._started:
            self.sampler.start()
            self._started = True

    def stop(self) -> None:
        """Stop sampling (and close the clients prepared for it, started or not)."""
        self.sampler.stop(timeout=0.5)
        self._started = False

    def close(self) -> None:
        """Alias of :meth:`stop` (a source built only to be checked is closed so)."""
        self.stop()

    def read(self, timeout_s: float) -> Observation:
        """The window's figure; unreadable while the window holds no completed request.

        The value is not :attr:`~chaosguard.slo.base.Observation.settled` until the sampler has
        run for a whole window (a part-filled window's p95 is the max of a few requests).
        """
        try:
            stats = self.sampler.stats(self.spec.window_s)
        except NoSamples as exc:
            raise SourceUnreadable(str(exc)) from None
        now = time.time()
        started = self.sampler.started_at
        return Observation(
            value=float(getattr(stats, self.spec.metric)),
            at=now,
            detail={"requests": stats.requests, "window_s": self.spec.window_s},
            settled=started is not None and now - started >= self.spec.window_s,
        )

    def describe(self) -> str:
        """e.g. ``p95_ms of GET http://... over 5 s``."""
        return f"{self.spec.metric} of GET {self.spec.url} over {self.spec.window_s:g} s"
