# make test   go vet, gofmt, and every test (-race) against a private RabbitMQ, stopped afterwards
# make demo   private RabbitMQ (reused between runs) + live demo traffic, then mqtop on it
# make demo-cluster   the same on a private 3-node cluster (scripts/cluster.sh)
# The broker is Debian's rabbitmq-server run as a private node by scripts/broker.sh: its own
# directory, node name, cookie and free ports, so it never touches a broker the machine runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
BROKER := $(CURDIR)/scripts/broker.sh
CLUSTER := $(CURDIR)/scripts/cluster.sh
DEMO_DIR ?= $(CURDIR)/.broker/demo
DEMO_CLUSTER_DIR ?= $(CURDIR)/.broker/demo-cluster
TEST_TIMEOUT ?= 30m

.PHONY: test demo demo-stop demo-traffic demo-cluster demo-cluster-stop build bench clean

build:
	$(GO) build -o bin/ ./cmd/...

# One recipe, one shell: the EXIT trap stops the broker whatever happens (a failing step, Ctrl-C),
# and the recipe exits with the failing step's status. Broker logs of a failed run are kept.
test:
	@$(BROKER) ensure-installed
	@mkdir -p .broker; dir=$$(mktemp -d "$(CURDIR)/.broker/test-XXXXXX"); \
	cleanup() { rc=$$?; trap - EXIT INT TERM HUP; $(BROKER) stop "$$dir" || rc=1; \
	  if [ $$rc = 0 ]; then rm -rf "$$dir"; else rm -rf "$$dir/mnesia"; echo "make test: failed ($$rc); broker logs in $$dir/log" >&2; fi; \
	  exit $$rc; }; \
	trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	echo "== go vet ./..."; $(GO) vet ./...; \
	echo "== gofmt -l"; \
	bad=$$(find . -type d \( -name testdata -o -name vendor -o -name '.?*' \) -prune -o -type f -name '*.go' -print | xargs -r gofmt -l); \
	if [ -n "$$bad" ]; then echo "gofmt needed (run gofmt -w):" >&2; echo "$$bad" >&2; exit 1; fi; \
	echo "== private broker"; $(BROKER) start "$$dir"; \
	set -a; . "$$dir/env"; set +a; \
	echo "== go test -race ./... against $$MQTOP_TEST_URL"; \
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

# The demo broker stays up between runs (make demo-stop stops it); credentials go to mqtop
# through the environment, never on its command line.
demo: build
	@$(BROKER) ensure-installed
	@$(BROKER) start "$(DEMO_DIR)" --demo
	@set -a; . "$(DEMO_DIR)/env"; set +a; \
	export MQTOP_USER=guest MQTOP_PASSWORD=guest; \
	bin/mqtop-demo --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL" > "$(DEMO_DIR)/traffic.log" 2>&1 & traffic=$$!; \
	trap 'kill $$traffic 2>/dev/null || true; wait $$traffic 2>/dev/null || true; echo "demo traffic stopped; the broker is still up (make demo-stop)"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	echo "demo traffic running (log: $(DEMO_DIR)/traffic.log)"; \
	bin/mqtop --url "$$MQTOP_TEST_URL"

demo-traffic: build
	@$(BROKER) ensure-installed
	@$(BROKER) start "$(DEMO_DIR)" --demo
	@set -a; . "$(DEMO_DIR)/env"; set +a; \
	export MQTOP_USER=guest MQTOP_PASSWORD=guest; \
	exec bin/mqtop-demo --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL"

demo-stop:
	@$(BROKER) stop "$(DEMO_DIR)"

# The demo on a private 3-node cluster (reused between runs; make demo-cluster-stop stops it):
# the quorum queue and the stream get a member on each of the three nodes, mqtop gets every
# node's management URL (it fails over between them and scrapes every node's Prometheus).
demo-cluster: build
	@$(BROKER) ensure-installed
	@$(CLUSTER) start "$(DEMO_CLUSTER_DIR)" --demo
	@set -a; . "$(DEMO_CLUSTER_DIR)/env"; set +a; \
	export MQTOP_USER=guest MQTOP_PASSWORD=guest; \
	bin/mqtop-demo --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL" > "$(DEMO_CLUSTER_DIR)/traffic.log" 2>&1 & traffic=$$!; \
	trap 'kill $$traffic 2>/dev/null || true; wait $$traffic 2>/dev/null || true; echo "demo traffic stopped; the cluster is still up (make demo-cluster-stop)"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	echo "demo traffic running on $$MQTOP_CLUSTER_SIZE nodes (log: $(DEMO_CLUSTER_DIR)/traffic.log)"; \
	bin/mqtop --url "$$MQTOP_TEST_URLS"

demo-cluster-stop:
	@$(CLUSTER) stop "$(DEMO_CLUSTER_DIR)"

# bench/run.sh when present (fresh brokers per size); otherwise the Go benchmarks against a
# private broker with the broker's default statistics interval (5 s).
bench:
	@if [ -x bench/run.sh ]; then exec bench/run.sh; fi; \
	$(BROKER) ensure-installed; \
	mkdir -p .broker; dir=$$(mktemp -d "$(CURDIR)/.broker/bench-XXXXXX"); \
	trap '$(BROKER) stop "$$dir"; rm -rf "$$dir"' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	MQTOP_BROKER_STATS_INTERVAL=$${MQTOP_BROKER_STATS_INTERVAL:-5000} $(BROKER) start "$$dir"; \
	set -a; . "$$dir/env"; set +a; \
	$(GO) test -run '^$$' -bench . ./...

# Leaves a running demo broker alone (make demo-stop first).
clean:
	rm -rf bin dist
	@for d in .broker/test-* .broker/bench-*; do \
	  [ -d "$$d" ] || continue; \
	  if $(BROKER) status "$$d" >/dev/null 2>&1; then echo "skipping $$d: its broker is running"; else rm -rf "$$d"; fi; \
	done
