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

.PHONY: help tools generate check-generate lint vet fmt-check build test ci run clean

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

test: ## Run the tests of every module in go.work (with -race).
	@for m in $(MODULES); do echo "test $$m"; (cd $$m && $(GO) test $(TEST_FLAGS) ./...) || exit 1; done

ci: check-generate lint test ## What CI runs: check-generate, lint, test.

clean: ## Remove bin/ (not data/).
	rm -rf $(BIN)
