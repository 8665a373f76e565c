# make demo: private broker + live traffic + mqtop.  make test: every test against a private broker.
SHELL := /bin/bash
GO ?= go
BROKER := scripts/broker.sh
DEMO_DIR := $(CURDIR)/.broker/demo

.PHONY: test demo demo-stop demo-traffic build bench clean

build:
	$(GO) build -o bin/ ./cmd/...

# One recipe, one shell: the trap stops the broker whatever happens.
test:
	@$(BROKER) ensure-installed
	@set -euo pipefail; \
	dir=$$(mktemp -d "$${TMPDIR:-/tmp}/mqtop-test-broker.XXXXXX"); \
	trap '$(BROKER) stop "$$dir"; rm -rf "$$dir"' EXIT; \
	$(BROKER) start "$$dir"; \
	set -a; . "$$dir/env"; set +a; \
	echo "== go vet"; $(GO) vet ./...; \
	echo "== gofmt"; bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi; \
	echo "== go test"; $(GO) test -race -count=1 -timeout 30m ./...

demo: build
	@$(BROKER) ensure-installed
	@$(BROKER) start "$(DEMO_DIR)" --demo
	@set -euo pipefail; set -a; . "$(DEMO_DIR)/env"; set +a; \
	MQTOP_USER=guest MQTOP_PASSWORD=guest bin/mqtop-demo --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL" \
		> "$(DEMO_DIR)/traffic.log" 2>&1 & traffic=$$!; \
	trap 'kill $$traffic 2>/dev/null; wait $$traffic 2>/dev/null; echo "demo traffic stopped; broker still up (make demo-stop)"' EXIT; \
	MQTOP_USER=guest MQTOP_PASSWORD=guest bin/mqtop --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL" \
		--prometheus-url "$$MQTOP_TEST_PROM_URL"

demo-traffic: build
	@set -a; . "$(DEMO_DIR)/env"; set +a; \
	MQTOP_USER=guest MQTOP_PASSWORD=guest bin/mqtop-demo --url "$$MQTOP_TEST_URL" --amqp-url "$$MQTOP_TEST_AMQP_URL"

demo-stop:
	@$(BROKER) stop "$(DEMO_DIR)"

bench: build
	@if [ -x bench/run.sh ]; then bench/run.sh; else \
	  $(BROKER) ensure-installed; set -euo pipefail; dir=$$(mktemp -d); trap '$(BROKER) stop "$$dir"; rm -rf "$$dir"' EXIT; \
	  $(BROKER) start "$$dir"; set -a; . "$$dir/env"; set +a; $(GO) test -run '^$$' -bench . ./...; fi

clean:
	rm -rf bin dist
