#!/usr/bin/env bash
# Builds every binary of the suite's container image into OUT_DIR.
#
# deploy/Dockerfile runs it in its build stage, and deploy's Go test runs it
# on the host, so the image's build is proved on a machine with no Docker
# engine. The binaries are static (CGO_ENABLED=0: the runtime image has no
# libc), carry no build machine's paths (-trimpath) and embed the time zone
# database (timetzdata: sales-reporting loads Asia/Shanghai, and the image
# then needs no tzdata of its own).
set -euo pipefail

out=${1:?usage: deploy/build-binaries.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")/.."

# The four processes, each services/<name>/cmd/<name>, and the admin tool
# (backup, verify, restore). Listed rather than globbed: services/suite/cmd
# also holds the launcher, the demo loader and the benchmarks, which have
# no place in the image.
cmds=(
	services/member-registry/cmd/member-registry
	services/session-scheduling/cmd/session-scheduling
	services/sales-reporting/cmd/sales-reporting
	services/gateway/cmd/gateway
	services/suite/cmd/alliance-admin
)

export CGO_ENABLED=0 GOTOOLCHAIN=local
flags=(-trimpath -buildvcs=false -tags timetzdata -ldflags='-s -w')
# The services build in the repository's workspace, whatever GOWORK the
# caller has (deploy's tests run with GOWORK=off).
GOWORK="$PWD/go.work" go build "${flags[@]}" -o "$out/" "${cmds[@]/#/./}"
# The probe and secret installer live in deploy's own module, outside go.work.
GOWORK=off go -C deploy build "${flags[@]}" -o "$out/" ./cmd/alliance-container
