# csptransfer — the two commands: `make run` and `make test`. Everything they need is built from pinned
# modules through the Go module proxy into .bin/ (ignored) once, then reused.

SHELL := /bin/bash
BIN   := $(CURDIR)/.bin
GO    ?= go
export GOTOOLCHAIN ?= local

TEMPORAL      := $(BIN)/temporal
TEMPORAL_SERVER   := $(BIN)/temporal-server
TEMPORAL_SQL_TOOL := $(BIN)/temporal-sql-tool
WORKFLOWCHECK := $(BIN)/workflowcheck
STATICCHECK   := $(BIN)/staticcheck

.PHONY: run test build tools fmt-check vet workflowcheck lint tidy-check unit fuzz chaos demo demo-all clean topology

## run: start the Temporal dev server (UI on :8233), the sandbox and the worker; Ctrl-C stops everything.
run: tools build
	@scripts/run.sh

## test: everything CI runs (topology adds about 2 minutes, 5 on a cold Go cache: see below).
test: fmt-check tidy-check vet lint workflowcheck unit fuzz demo-all topology

## chaos: the worker-kill and server-restart chaos tests at a larger size (CHAOS_TRANSFERS, default 20).
chaos: $(TEMPORAL)
	CSP_TEMPORAL_CLI=$(TEMPORAL) CSP_CHAOS_TRANSFERS=$${CHAOS_TRANSFERS:-20} $(GO) test -count=1 -timeout 30m -run Chaos -v ./worker/

## fuzz: every fuzz target for FUZZTIME each (3s by default; e.g. FUZZTIME=2m make fuzz for a longer hunt).
fuzz:
	@scripts/fuzz.sh

## demo: one complete sandbox transfer end to end on a throwaway dev server (about a minute).
## DEMO=partner tells a customer leaving another CSP partner instead; DEMO=all tells both.
demo: tools build
	@DEMO=$${DEMO:-offer} scripts/demo.sh

demo-all: tools build
	@DEMO=all scripts/demo.sh

## ui-check: prove the Temporal UI shows failure reasons and rejected updates without the codec (needs Chromium).
.PHONY: ui-check
ui-check: tools build
	@scripts/ui-check.sh

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./worker ./starter ./loadtest

tools: $(TEMPORAL) $(WORKFLOWCHECK) $(STATICCHECK)

# The Temporal CLI embeds the dev server and the UI; the first build takes a few minutes.
$(TEMPORAL): tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	@echo "Building the Temporal CLI (pinned in tools/go.mod; first build takes a few minutes)..."
	cd tools && $(GO) build -o $(TEMPORAL) github.com/temporalio/cli/cmd/temporal

# The Temporal server and its SQL schema tool at the version docker-compose.yml runs, for make topology.
$(TEMPORAL_SERVER): tools/temporalserver/go.mod tools/temporalserver/go.sum
	@mkdir -p $(BIN)
	@echo "Building the Temporal server (pinned in tools/temporalserver/go.mod; first build takes a few minutes)..."
	cd tools/temporalserver && $(GO) build -o $(TEMPORAL_SERVER) go.temporal.io/server/cmd/server

$(TEMPORAL_SQL_TOOL): tools/temporalserver/go.mod tools/temporalserver/go.sum
	@mkdir -p $(BIN)
	cd tools/temporalserver && $(GO) build -o $(TEMPORAL_SQL_TOOL) go.temporal.io/server/cmd/tools/sql

## topology: docker-compose.yml's topology without Docker: PostgreSQL (installed with apt-get if missing),
## the pinned Temporal server with compose's schema and namespace scripts, two workers on one sandbox and
## the trigger service; transfers complete across a server kill, within the shared per-tenant budget.
topology: $(TEMPORAL) $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) build
	@scripts/pgstack.sh bindir >/dev/null
	CSP_TOPOLOGY=1 CSP_TOPOLOGY_BIN=$(BIN) \
	  CSP_TEMPORAL_SCHEMA_DIR=$$(cd tools/temporalserver && $(GO) list -m -f '{{.Dir}}' go.temporal.io/server)/schema \
	  $(GO) test -count=1 -timeout 20m -run '^TestProductionTopologyOnPostgreSQL$$' -v ./internal/deploy/

$(WORKFLOWCHECK): tools/workflowcheck/go.mod tools/workflowcheck/go.sum
	@mkdir -p $(BIN)
	cd tools/workflowcheck && $(GO) build -o $(WORKFLOWCHECK) go.temporal.io/sdk/contrib/tools/workflowcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.bin/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

$(STATICCHECK): tools/staticcheck/go.mod tools/staticcheck/go.sum
	@mkdir -p $(BIN)
	cd tools/staticcheck && $(GO) build -o $(STATICCHECK) honnef.co/go/tools/cmd/staticcheck

# lint: staticcheck's default checks; a deliberate exception carries a //lint:ignore with its reason.
lint: $(STATICCHECK)
	$(STATICCHECK) ./...

# tidy-check: go.mod and go.sum say exactly what the code imports.
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

workflowcheck: $(WORKFLOWCHECK)
	$(WORKFLOWCHECK) -show-pos ./...

# Integration tests start real dev servers from the CLI built above (no downloads).
unit: $(TEMPORAL)
	CSP_TEMPORAL_CLI=$(TEMPORAL) $(GO) test -race -count=1 -timeout 20m ./...

clean:
	rm -rf $(BIN)

## loadtest: many sandbox transfers against the stack `make run` started (LOADTEST_TRANSFERS, default 200;
## LOADTEST_WORKERS, default 1: that many workers, the stack's and the ones the load test starts and stops).
## Starts nothing itself; reads make run's payload keys from .data/codec.keys unless CSP_CODEC_KEYS* is set.
loadtest: build
	@if [ -z "$${CSP_CODEC_KEYS:-}$${CSP_CODEC_KEYS_FILE:-}" ] && [ -s .data/codec.keys ]; then \
	  export CSP_CODEC_KEYS_FILE=$(CURDIR)/.data/codec.keys; fi; \
	$(BIN)/loadtest --transfers $${LOADTEST_TRANSFERS:-200} --workers $${LOADTEST_WORKERS:-1}
