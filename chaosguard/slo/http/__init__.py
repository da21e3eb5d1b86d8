"""HTTP measurements: timed requests, a background sampler with a sliding window, latency stats.

Shared by the HTTP guard source (:mod:`~chaosguard.slo.http.source`), the HTTP probes
(:mod:`chaosguard.probes.http`), the sampler actions (:mod:`chaosguard.actions.sampler`) and the
demo's users. Requests always have explicit timeouts; percentiles are nearest-rank.
"""
