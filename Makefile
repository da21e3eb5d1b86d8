# chaosguard — two commands on a fresh machine: `make demo` and `make test`. Both are idempotent.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
K8S_LOG := $(HOME)/.cache/chaosguard/k8s-build.log
JAEGER_LOG := $(HOME)/.cache/chaosguard/jaeger-build.log
# Debian packages the tests use: stress-ng (CPU/memory anchor and optional backend), prometheus (SLO
# source tests), prometheus-pushgateway (journal publisher), chromium (report rendering), openssl (test
# cluster keys).
DEB_PACKAGES := stress-ng prometheus prometheus-pushgateway chromium openssl

.PHONY: demo demo-anomaly test lint fuzz venv bytecode system-deps k8s-bins k8s-bins-background jaeger-bin \
	jaeger-bin-background clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Bytecode of the package, as `pip install` leaves it: an editable install writes it at first import,
# unless PYTHONDONTWRITEBYTECODE is set, and then every `chaos run` and fault worker would compile the
# package again (~130 ms per guarded run). Only changed modules are compiled.
bytecode: venv
	@$(BIN)/python -m compileall -q chaosguard tests >/dev/null

RUNS_DIR ?= runs

demo: venv bytecode
	$(BIN)/python -m chaosguard.demo --runs-dir $(RUNS_DIR)

# the anomaly guard aborts at the 250 ms step, which the 500 ms SLO alone lets through (docs/anomaly.md)
demo-anomaly: venv bytecode
	$(BIN)/python -m chaosguard.demo --runs-dir $(RUNS_DIR) --experiment experiments/demo/latency-anomaly.yaml

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The Kubernetes control plane build is the long pole on a new machine: start it first, in the background,
# at low priority, and wait for it only before the tests that need it.
k8s-bins-background:
	@mkdir -p $(dir $(K8S_LOG))
	@d=$$(scripts/k8s-test-bins --print-dir); \
	if [ -x $$d/kube-apiserver ] && [ -x $$d/etcd ] && [ -x $$d/kwok ] && [ -x $$d/kubectl ] && [ -x $$d/kube-scheduler ] && [ -x $$d/kube-controller-manager ]; then echo "k8s test binaries: cached"; \
	else echo "k8s test binaries: building in the background (log: $(K8S_LOG))"; \
	  nohup nice -n 10 scripts/k8s-test-bins > $(K8S_LOG) 2>&1 & echo $$! > $(dir $(K8S_LOG))k8s-build.pid; fi

# Jaeger (tracing tests) is the second long pole: built after the Kubernetes binaries by the same
# background job when both are missing (two Go builds at once would thrash 2 cores).
jaeger-bin-background:
	@mkdir -p $(dir $(JAEGER_LOG))
	@d=$$(scripts/jaeger-test-bin --print-dir); \
	if [ -x $$d/jaeger ]; then echo "jaeger test binary: cached"; \
	else echo "jaeger test binary: building in the background (log: $(JAEGER_LOG))"; \
	  k8spid=$(dir $(K8S_LOG))k8s-build.pid; \
	  nohup nice -n 10 bash -c "while [ -f $$k8spid ] && kill -0 \$$(cat $$k8spid) 2>/dev/null; do sleep 5; done; \
	    exec scripts/jaeger-test-bin" > $(JAEGER_LOG) 2>&1 & echo $$! > $(dir $(JAEGER_LOG))jaeger-build.pid; fi

jaeger-bin:
	@pidf=$(dir $(JAEGER_LOG))jaeger-build.pid; \
	if [ -f $$pidf ] && kill -0 $$(cat $$pidf) 2>/dev/null; then \
	  echo "waiting for the jaeger build (log: $(JAEGER_LOG))"; \
	  while kill -0 $$(cat $$pidf) 2>/dev/null; do sleep 5; done; fi; \
	rm -f $$pidf; scripts/jaeger-test-bin

k8s-bins:
	@pidf=$(dir $(K8S_LOG))k8s-build.pid; \
	if [ -f $$pidf ] && kill -0 $$(cat $$pidf) 2>/dev/null; then \
	  echo "waiting for the k8s build (log: $(K8S_LOG))"; \
	  while kill -0 $$(cat $$pidf) 2>/dev/null; do sleep 5; done; fi; \
	rm -f $$pidf; scripts/k8s-test-bins

# ruff (lint + format), mypy and the import-linter layer contract: any failure fails `make test`.
lint: venv
	$(BIN)/ruff check chaosguard tests benchmarks
	$(BIN)/ruff format --check chaosguard tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Hypothesis runs derandomized in `make test` (profile "ci": the same examples every run, so CI is
# deterministic); `make fuzz` runs the property tests random and long.
test: k8s-bins-background jaeger-bin-background system-deps venv bytecode lint k8s-bins jaeger-bin
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest

fuzz: venv
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -m "not kubernetes and not jaeger" tests/unit tests/integration

clean:
	rm -rf $(VENV) runs .pytest_cache
