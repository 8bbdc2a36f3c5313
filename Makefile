# The alliance suite. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO      ?= go
BIN     := $(CURDIR)/bin
# Tools are pinned in tools/go.mod and built from it, outside go.work, so
# buf's dependencies never move the services' versions.
TOOLS   := buf protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2 grpcurl ghz
TOOL_BINS := $(addprefix $(BIN)/,$(TOOLS))
MODULES := $(shell $(GO) work edit -json | sed -n 's/.*"DiskPath": "\(.*\)".*/\1/p')
SERVICES := member-registry session-scheduling sales-reporting gateway
TEST_FLAGS ?= -race -count=1 -timeout 15m

.PHONY: help tools generate check-generate docs check-docs lint vet fmt-check check-modules build services test check-deploy images fuzz ci run demo bench bench-gateway replay-2020 bench-peers soak check-readme clean console check-console

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/%: tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	GOWORK=off $(GO) -C tools build -o $(BIN)/ $$(GOWORK=off $(GO) -C tools list -f '{{.ImportPath}}' tool | grep '/$*$$')

tools: $(TOOL_BINS) ## Build the pinned tools (buf, protoc plugins, grpcurl, ghz) into bin/; `make ghz` builds one.

.PHONY: $(TOOLS)
$(TOOLS): %: $(BIN)/%

generate: $(TOOL_BINS) ## Regenerate gen/ from proto/ with buf.
	$(BIN)/buf generate

check-generate: generate ## Regenerate and fail if gen/ differs from what is committed (new files too).
	@git add -N gen
	@git diff --exit-code --stat -- gen || { echo "gen/ is stale: run 'make generate' and commit the result"; exit 1; }

docs: ## Rewrite the generated parts of docs/API.md (RPCs, routes, error reasons) from the protos.
	$(GO) run ./services/kit/cmd/apidocs

check-docs: ## Fail if the generated parts of docs/API.md are stale (after make generate).
	$(GO) run ./services/kit/cmd/apidocs -check

lint: $(BIN)/buf vet fmt-check ## buf lint, go vet on every module, gofmt.
	$(BIN)/buf lint

vet: ## go vet on every module in go.work.
	@for m in $(MODULES); do echo "vet $$m"; (cd $$m && $(GO) vet ./...) || exit 1; done

fmt-check: ## Fail if any Go file outside gen/ is not gofmt-formatted.
	@out=$$(git ls-files -co --exclude-standard '*.go' | grep -v '^gen/' | xargs -r gofmt -l); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build: tools services ## Build the pinned tools and the service binaries into bin/.

services: ## Build only the four service binaries and alliance-admin (backup, verify, restore) into bin/.
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do echo "build $$s"; $(GO) build -o $(BIN)/$$s ./services/$$s/cmd/$$s || exit 1; done
	@echo "build alliance-admin"; $(GO) build -o $(BIN)/alliance-admin ./services/suite/cmd/alliance-admin

# Every module builds on its own (GOWORK=off: no service may lean on
# another through the workspace) and is tidy; tools/ and deploy/ too.
# A module of the services may require gen and kit, never another service.
check-modules: ## Fail if a module is not tidy, does not build with GOWORK=off, or a service module requires another service.
	@for m in $(MODULES) deploy; do echo "module $$m"; \
	  (cd $$m && GOWORK=off $(GO) mod tidy -diff && GOWORK=off $(GO) build ./...) || { echo "$$m: run 'cd $$m && GOWORK=off go mod tidy' or fix its build"; exit 1; }; \
	done
	@echo "module tools (tool directives: built by make tools)"; cd tools && GOWORK=off $(GO) mod tidy -diff
	@for s in $(SERVICES); do \
	  deps=$$(GOWORK=off $(GO) -C services/$$s list -m all | awk '{print $$1}' | grep -E '/services/($(subst $(eval) ,|,$(SERVICES)))$$' | grep -v '/services/'$$s'$$'); \
	  if [ -n "$$deps" ]; then echo "services/$$s requires another service: $$deps"; exit 1; fi; \
	done

CHROMIUM ?= $(or $(ALLIANCE_CHROMIUM),/usr/bin/chromium)

test: ## Run the tests of every module in go.work (with -race); the console's browser tests need Chromium.
	@for m in $(MODULES); do echo "test $$m"; (cd $$m && ALLIANCE_CHROMIUM=$(CHROMIUM) $(GO) test $(TEST_FLAGS) ./...) || exit 1; done
	@if [ -x "$(CHROMIUM)" ]; then echo "browser tests of the console: ran in $(CHROMIUM); screenshots and timings in bin/console-artifacts/"; \
	else echo "SKIPPED: the console's browser tests (services/suite/e2e/console_test.go): no Chromium at $(CHROMIUM); apt-get install -y chromium"; fi

# deploy/ is a module of its own, outside go.work, so that kustomize's and
# k8s.io's dependencies never move the services' versions.
check-deploy: ## Check deploy/: render the Kubernetes overlays and compose.yaml strictly, the alert rules, the image's binaries.
	GOWORK=off $(GO) -C deploy vet ./...
	GOWORK=off $(GO) -C deploy test -count=1 ./...

IMAGE ?= alliance:dev

images: ## Build the suite's container image (alliance:dev, or IMAGE=...) from deploy/Dockerfile; needs a Docker engine.
	@docker info >/dev/null 2>&1 || { echo "make images: no Docker engine answers here (docker info fails), so $(IMAGE) cannot be built on this machine."; echo "On one with an engine: docker build -f deploy/Dockerfile -t $(IMAGE) ."; exit 1; }
	docker build -f deploy/Dockerfile -t $(IMAGE) .

FUZZTIME ?= 60s

fuzz: ## Run every fuzz target of every module for FUZZTIME each (60s); a failing input is kept in testdata/fuzz.
	@GO=$(GO) services/suite/fuzz.sh $(FUZZTIME)

ci: check-generate check-docs lint check-modules test check-deploy ## What CI runs: check-generate, check-docs, lint, check-modules, test, check-deploy, then every fuzz target for 10s (.ci/run adds check-console).
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10s

CONSOLE := services/console

console: ## Build the console (npm ci, then tsc and vite) into services/console/dist; needs Node.js 20 and npm. make run does not.
	cd $(CONSOLE) && npm ci && npm run build

check-console: console ## Rebuild the console, fail if dist/ differs from what is committed, then run its unit tests (vitest).
	@# New files are added with intent (git add -N) so the diff shows them, then taken out of the index again.
	@new=$$(git ls-files -o --exclude-standard -- $(CONSOLE)/dist); \
	if [ -n "$$new" ]; then git add -N $$new; fi; \
	git diff --exit-code --stat -- $(CONSOLE)/dist; rc=$$?; \
	if [ -n "$$new" ]; then git reset -q -- $$new; fi; \
	if [ $$rc -ne 0 ]; then echo "$(CONSOLE)/dist is stale: run 'make console' and commit the result"; exit 1; fi
	cd $(CONSOLE) && npm test

RUN_FLAGS ?=
DEMO_FLAGS ?=
REPLAY_FLAGS ?=

# make run builds what it runs and grpcurl (the README's walkthrough uses
# it), not buf, the protoc plugins or ghz: cold, those take many minutes.
run: services grpcurl ## Build and start the whole suite on the default ports, data in ./data; Ctrl-C stops it gracefully.
	@$(GO) build -o $(BIN)/alliance-run ./services/suite/cmd/alliance-run
	@$(BIN)/alliance-run -bin $(BIN) -data-dir data $(RUN_FLAGS)

demo: ## Load the demo alliance (3 weeks of history, today, upcoming) into the running suite; safe to rerun.
	@$(GO) run ./services/suite/cmd/alliance-demo $(DEMO_FLAGS)

BENCH_OUT := services/suite/bench/results/latest.md
BENCH_CMD := $(BIN)/alliance-bench

$(BENCH_CMD): FORCE
	@$(GO) build -o $@ ./services/suite/cmd/alliance-bench

# Benchmarks live in services/suite/bench behind one command, alliance-bench;
# the in-process Go benchmarks stay beside their code. Peers (other
# databases measured on the same workloads) belong in a module of their own
# outside go.work, as deploy/ is, with a target of their own.
bench: services ghz $(BENCH_CMD) ## Every benchmark, as ratios to floors of the same run; writes services/suite/bench/results/latest.md.
	@mkdir -p $(dir $(BENCH_OUT))
	@echo "# Benchmark results (make bench)" > $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Floors and writes (alliance-bench writes: ghz and a Go client against real processes)" >> $(BENCH_OUT)
	$(BENCH_CMD) writes -bin $(BIN) | tee -a $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## The HTTP path: gateway vs gRPC (alliance-bench gateway)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	$(BENCH_CMD) gateway -bin $(BIN) 2>&1 | tee -a $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Reads: report latency over gRPC at 1M and 10M stored sales (BenchmarkReportsAtScale)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	cd services/sales-reporting && $(GO) test -run '^$$' -bench ReportsAtScale -benchtime 2000x -timeout 2h ./app -args -sales 1000000 2>&1 | tee -a ../../$(BENCH_OUT)
	cd services/sales-reporting && $(GO) test -run '^$$' -bench ReportsAtScale -benchtime 2000x -timeout 2h ./app -args -sales 10000000 -per-session 54 2>&1 | tee -a ../../$(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Report engine in-process, and the scheduler's conflict check at 200,000 sessions (Go benchmarks)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	cd services/sales-reporting && $(GO) test -run '^$$' -bench . -benchtime 300x ./internal/report 2>&1 | tee -a ../../$(BENCH_OUT)
	cd services/session-scheduling && $(GO) test -run '^$$' -bench CreateSession -benchtime 2000x ./internal/scheduling 2>&1 | tee -a ../../$(BENCH_OUT)
	cd services/kit && $(GO) test -run '^$$' -bench Commit -benchtime 2s ./boltdb 2>&1 | tee -a ../../$(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "wrote $(BENCH_OUT)"

bench-gateway: services ghz $(BENCH_CMD) ## RecordSale and GetMember over HTTP through the gateway vs gRPC (ghz), on a private suite.
	$(BENCH_CMD) gateway -bin $(BIN)

# The peers (PostgreSQL, DuckDB, etcd) are measured by a module of their own,
# outside go.work (as deploy/ is), so their clients never enter the
# services' modules: PostgreSQL from Debian, etcd (built from the module's
# tool directive) and DuckDB's Go bindings from the module proxy.
PEERS := services/suite/bench/peers
PEERS_FLAGS ?=
PEERS_OUT := services/suite/bench/results/peers.md

bench-peers: services ghz $(BENCH_CMD) ## Side by side with PostgreSQL COPY, DuckDB and etcd put on this machine (installs them; PEERS_FLAGS='-rounds 3 -n 1000000'); writes services/suite/bench/results/peers.md.
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "installing PostgreSQL from Debian"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; fi; }
	GOWORK=off $(GO) -C $(PEERS) build -o $(BIN)/etcd go.etcd.io/etcd/server/v3
	GOWORK=off $(GO) -C $(PEERS) build -o $(BIN)/peers .
	@mkdir -p $(dir $(PEERS_OUT))
	$(BIN)/peers -bin $(BIN) -etcd $(BIN)/etcd $(PEERS_FLAGS) | tee $(PEERS_OUT)

REPLAY_DIR := data/replay-2020

replay-2020: services ## Load the synthetic Chongqing 2020 (184,000 sessions, ~10 billion yuan) into data/replay-2020 (about 1.8 GB) and check the overview.
	@$(GO) build -o $(BIN)/alliance-replay ./services/suite/cmd/alliance-replay
	rm -rf $(REPLAY_DIR)
	$(BIN)/alliance-replay -start -bin $(BIN) -data-dir $(REPLAY_DIR) $(REPLAY_FLAGS)

SOAK_FLAGS ?=

soak: services ## Crash soak: kill -9 a random service 100 times under write load, then check nothing was lost or doubled (SOAK_FLAGS=-cycles 300).
	@$(GO) build -o $(BIN)/alliance-soak ./services/suite/cmd/alliance-soak
	@uptime
	$(BIN)/alliance-soak -bin $(BIN) $(SOAK_FLAGS)
	@uptime

check-readme: ## Run the README walkthrough and compare each answer with its `# expect:` line; needs a fresh `make run` in another terminal.
	services/suite/check-readme.sh README.md

clean: ## Remove bin/ and the replay's data/replay-2020 (not the data of make run).
	rm -rf $(BIN) $(REPLAY_DIR)

FORCE:
