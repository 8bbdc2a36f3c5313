#!/usr/bin/env bash
# Runs every fuzz target of every module in go.work, one after another,
# each for FUZZTIME (the first argument; default 60s):
#
#   services/suite/fuzz.sh [FUZZTIME]      (`make fuzz`, `make fuzz FUZZTIME=10s`)
#
# The targets are found, not listed here: in each module, the packages
# whose tests declare a `func Fuzz…`, then `go test -list '^Fuzz'` on each
# of them names the targets (and fails if the package no longer builds).
# Listing every package instead would run every TestMain, and the
# end-to-end tests' one builds all the binaries first.
#
# An input that makes a target fail is written by go test to the
# package's testdata/fuzz/<Target>/; commit it, so that `go test` replays
# it from then on. The run goes on with the other targets and fails at the
# end if any target failed.
set -euo pipefail
fuzztime=${1:-60s}
go=${GO:-go}
cd "$(dirname "$0")/../.."

modules=$($go work edit -json | sed -n 's/.*"DiskPath": "\(.*\)".*/\1/p')
targets=() # "module package target"
for mod in $modules; do
  pkgs=$(cd "$mod" && { grep -rl --include='*_test.go' --exclude-dir=testdata '^func Fuzz' . || true; } | xargs -r -n1 dirname | sort -u)
  for pkg in $pkgs; do
    listed=$(cd "$mod" && $go test -list '^Fuzz' "$pkg")
    for name in $(grep '^Fuzz' <<<"$listed" || true); do
      targets+=("$mod $pkg $name")
    done
  done
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets found" >&2
  exit 1
fi

echo "fuzz: ${#targets[@]} targets, $fuzztime each"
failed=()
for t in "${targets[@]}"; do
  read -r mod pkg name <<<"$t"
  echo "fuzz: $mod/${pkg#./} $name"
  if ! (cd "$mod" && $go test -run "^${name}\$" -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg"); then
    failed+=("$mod/${pkg#./} $name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed (failing inputs are in their package's testdata/fuzz):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
