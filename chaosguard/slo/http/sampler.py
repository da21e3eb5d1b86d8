"""A background HTTP sampler: requests at a steady rate, a sliding window the experiment can read.

Samplers live in the runner process, by name. They are read by the ``sampled_*`` probes and by the
guard's HTTP SLO source. The schedule is open-loop (a slow answer does not slow the next request
down, up to ``concurrency`` requests in flight), so the window shows what users would see, not what
a polite client sees.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import httpx

from chaosguard.errors import ChaosGuardError
from chaosguard.slo.http.stats import Sample, Stats, summarize
from chaosguard.slo.http.target import HttpTarget, client_for, timed_request, tls_context

__all__ = ["Sampler", "get_sampler", "start_sampler", "stop_sampler", "NoSamples"]


class NoSamples(ChaosGuardError):
    """The window holds no completed request (the sampler just started or the target hangs)."""


class Sampler:
    """Requests ``target`` ``rate_per_s`` times a second; keeps ``keep_s`` seconds of samples.

    Warm-up (issue 10): everything that costs CPU in this process — building the keep-alive
    clients (httpx's set-up and the TLS context, shared by :func:`tls_context`) and starting the
    request threads — happens in :meth:`prepare`, before any request is timed. Done by each thread
    as it started, as it once was, it ran while the first requests were being timed (under the GIL,
    on a busy machine): a fresh guard's first windows read p95 ≈ 200-500 ms for a 15-45 ms service,
    and a run was refused as "already breached". The guard prepares every source of a run before
    it starts the first (:meth:`~chaosguard.slo.base.SloSource.prepare`). One client
    shared by all threads is no cure: its pool added ~20 ms per request under contention
    (measured), so each thread keeps its own connection.
    """

    def __init__(
        self,
        name: str,
        target: HttpTarget,
        rate_per_s: float,
        concurrency: int = 4,
        keep_s: float = 600.0,
    ) -> None:
        self.name = name
        self.target = target
        self.rate_per_s = rate_per_s
        self.concurrency = concurrency
        self.keep_s = keep_s
        self._samples: deque[Sample] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._go = threading.Event()
        self._origin = 0.0  # monotonic time of the schedule's start, set before _go
        self._threads: list[threading.Thread] = []
        #: When the schedule started (epoch s); None before :meth:`start`.
        self.started_at: float | None = None

    def prepare(self) -> None:
        """Build the clients and start the request threads, parked until :meth:`start`
        (idempotent; :meth:`start` prepares when not done yet)."""
        if self._threads:
            return
        tls = tls_context(self.target)
        clients = [client_for(self.target, 1, tls) for _ in range(self.concurrency)]
        for i, client in enumerate(clients):
            th = threading.Thread(
                target=self._loop,
                args=(client, i),
                name=f"cg-sampler-{self.name}-{i}",
                daemon=True,
            )
            th.start()
            self._threads.append(th)

    def start(self) -> None:
        """Start the schedule: ``concurrency`` threads, staggered to spread the rate evenly."""
        self.prepare()
        if self._go.is_set():
            return
        self._origin = time.monotonic()
        self.started_at = time.time()
        self._go.set()

    def _loop(self, client: httpx.Client, index: int) -> None:
        try:
            self._go.wait()
            period = self.concurrency / self.rate_per_s
            due = self._origin + index * period / self.concurrency
            while not self._stop.is_set():
                delay = due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    break
                due = max(due + period, time.monotonic() - period)  # never burst to catch up
                self._add(timed_request(client, self.target))
        finally:
            client.close()

    def _add(self, sample: Sample) -> None:
        with self._lock:
            self._samples.append(sample)
            horizon = sample.at - self.keep_s
            while self._samples and self._samples[0].at < horizon:
                self._samples.popleft()

    def samples(self, window_s: float) -> list[Sample]:
        """Samples whose request completed within the last ``window_s`` seconds."""
        horizon = time.time() - window_s
        with self._lock:
            return [s for s in self._samples if s.at + s.latency_ms / 1000.0 >= horizon]

    def stats(self, window_s: float) -> Stats:
        """Summary of the window; :class:`NoSamples` when it is empty."""
        samples = self.samples(window_s)
        if not samples:
            raise NoSamples(
                f"sampler '{self.name}' has no completed request in the last {window_s:g} s"
            )
        return summarize(samples)

    def stop(self, timeout: float | None = None) -> None:
        """Stop the threads (in-flight requests end at their timeout at worst)."""
        self._stop.set()
        self._go.set()  # threads still parked wake up and end
        for th in self._threads:
            th.join(timeout if timeout is not None else self.target.timeout_s + 1)


_samplers: dict[str, Sampler] = {}
_registry_lock = threading.Lock()


def start_sampler(name: str, target: HttpTarget, rate_per_s: float, concurrency: int) -> Sampler:
    """Start (or restart) the sampler ``name``."""
    with _registry_lock:
        old = _samplers.pop(name, None)
        sampler = Sampler(name, target, rate_per_s, concurrency)
        _samplers[name] = sampler
    if old is not None:
        old.stop(timeout=0.1)
    sampler.start()
    return sampler


def get_sampler(name: str) -> Sampler:
    """The running sampler ``name``; ``KeyError`` naming the known ones otherwise."""
    with _registry_lock:
        if name not in _samplers:
            known = ", ".join(sorted(_samplers)) or "none"
            raise KeyError(f"no HTTP sampler named '{name}' is running (running: {known})")
        return _samplers[name]


def stop_sampler(name: str) -> bool:
    """Stop ``name``; False when it was not running."""
    with _registry_lock:
        sampler = _samplers.pop(name, None)
    if sampler is None:
        return False
    sampler.stop()
    return True
