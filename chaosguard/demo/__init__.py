"""The embedded demo (``make demo``): a latency SLO experiment on loopback, guarded end to end.

One job: show in a minute, with nothing but this package and Chaos Toolkit, what chaosguard does —
escalating latency until the p95 SLO breaks, the guard reverting it and stopping the run, and the
journal archived with its HTML report. Its modules: ``run`` (also ``python -m chaosguard.demo``)
builds the topology, runs ``chaos run`` on ``experiments/demo/latency-slo.yaml`` against it and
prints a summary of the journal; ``topology`` starts and stops the little world (the service, a
chaosguard latency proxy in front of it, the users), every process of which dies with the demo;
``service`` is the target HTTP service (15–45 ms per request); ``load`` is the users, steady traffic
through the proxy with a live one-line summary; ``serve`` (``python -m chaosguard.demo --serve``)
keeps the world up on its own and prints the variables to export, for ``chaos run`` and
``chaos gameday run`` by hand.
"""
