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

.PHONY: help tools generate check-generate docs check-docs lint vet fmt-check build test check-deploy images fuzz ci run demo bench bench-gateway replay-2020 soak check-readme clean console check-console

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/%: tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	GOWORK=off $(GO) -C tools build -o $(BIN)/ $$(GOWORK=off $(GO) -C tools list -f '{{.ImportPath}}' tool | grep '/$*$$')

tools: $(TOOL_BINS) ## Build the pinned tools (buf, protoc plugins, grpcurl, ghz) into bin/.

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

build: tools ## Build the pinned tools and the service binaries into bin/.
	@mkdir -p $(BIN)
	@for s in $(SERVICES); do echo "build $$s"; $(GO) build -o $(BIN)/$$s ./services/$$s/cmd/$$s || exit 1; done

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

ci: check-generate check-docs lint test check-deploy ## What CI runs: check-generate, check-docs, lint, test, check-deploy, then every fuzz target for 10s (.ci/run adds check-console).
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

run: build ## Build and start the whole suite on the default ports, data in ./data; Ctrl-C stops it gracefully.
	@$(GO) build -o $(BIN)/alliance-run ./services/suite/cmd/alliance-run
	@$(BIN)/alliance-run -bin $(BIN) -data-dir data $(RUN_FLAGS)

demo: ## Load the demo alliance (3 weeks of history, today, upcoming) into the running suite; safe to rerun.
	@$(GO) run ./services/suite/cmd/alliance-demo $(DEMO_FLAGS)

BENCH_OUT := bench/latest.md

bench: build ## Every benchmark against real processes, as ratios to floors of the same run; writes bench/latest.md.
	@mkdir -p bench
	$(GO) build -o $(BIN)/alliance-bench ./services/suite/cmd/alliance-bench
	@echo "# Benchmark results (make bench)" > $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Floors and writes (alliance-bench: ghz and a Go client against real processes)" >> $(BENCH_OUT)
	$(BIN)/alliance-bench -bin $(BIN) | tee -a $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## The HTTP path: gateway vs gRPC (services/suite/bench)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	$(GO) run ./services/suite/bench -bin $(BIN) 2>&1 | tee -a $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Reads: report latency over gRPC at 1M and 10M stored sales (querybench)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	$(GO) run ./services/sales-reporting/bench/querybench -sales 1000000 2>&1 | tee -a $(BENCH_OUT)
	$(GO) run ./services/sales-reporting/bench/querybench -sales 10000000 -per-session 54 2>&1 | tee -a $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "" >> $(BENCH_OUT)
	@echo "## Report engine in-process, and the scheduler's conflict check at 200,000 sessions (Go benchmarks)" >> $(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	cd services/sales-reporting && $(GO) test -run '^$$' -bench . -benchtime 300x ./internal/report 2>&1 | tee -a ../../$(BENCH_OUT)
	cd services/session-scheduling && $(GO) test -run '^$$' -bench CreateSession -benchtime 2000x ./internal/scheduling 2>&1 | tee -a ../../$(BENCH_OUT)
	cd services/kit && $(GO) test -run '^$$' -bench Commit -benchtime 2s ./boltdb 2>&1 | tee -a ../../$(BENCH_OUT)
	@echo '```' >> $(BENCH_OUT)
	@echo "wrote $(BENCH_OUT)"

bench-gateway: build ## RecordSale and GetMember over HTTP through the gateway vs gRPC (ghz), on a private suite.
	$(GO) run ./services/suite/bench -bin $(BIN)

replay-2020: build ## Load the synthetic Chongqing 2020 (184,000 sessions, ~10 billion yuan) into a private suite and check the overview.
	@$(GO) build -o $(BIN)/alliance-replay ./services/suite/cmd/alliance-replay
	rm -rf data/replay-2020
	$(BIN)/alliance-replay -start -bin $(BIN) -data-dir data/replay-2020 $(REPLAY_FLAGS)

SOAK_FLAGS ?=

soak: build ## Crash soak: kill -9 a random service 100 times under write load, then check nothing was lost or doubled (SOAK_FLAGS=-cycles 300).
	@$(GO) build -o $(BIN)/alliance-soak ./services/suite/cmd/alliance-soak
	@uptime
	$(BIN)/alliance-soak -bin $(BIN) $(SOAK_FLAGS)
	@uptime

check-readme: ## Run the README walkthrough; needs a fresh `make run` in another terminal.
	services/suite/check-readme.sh README.md

clean: ## Remove bin/ (not data/).
	rm -rf $(BIN)
