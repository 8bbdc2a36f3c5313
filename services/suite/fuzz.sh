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

# runs one target once; its output is also kept in $log.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz_once() {
  (cd "$1" && $go test -run "^${3}\$" -fuzz "^${3}\$" -fuzztime "$fuzztime" "$2") 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}
# corpus_count prints how many inputs the target's testdata/fuzz holds.
corpus_count() {
  local dir="$1/$2/testdata/fuzz/$3"
  if [ -d "$dir" ]; then find "$dir" -type f | wc -l; else echo 0; fi
}

echo "fuzz: ${#targets[@]} targets, $fuzztime each"
failed=()
for t in "${targets[@]}"; do
  read -r mod pkg name <<<"$t"
  echo "fuzz: $mod/${pkg#./} $name"
  before=$(corpus_count "$mod" "$pkg" "$name")
  if fuzz_once "$mod" "$pkg" "$name"; then
    continue
  fi
  # Go 1.26's fuzzing coordinator can fail a target at the -fuzztime
  # deadline with a bare "context deadline exceeded" and no failing input
  # (golang/go#75804, fixed in Go 1.27). Only that failure is run again,
  # once; a failure that wrote an input, or any other, fails at once.
  after=$(corpus_count "$mod" "$pkg" "$name")
  if [ "$after" -eq "$before" ] && tail -n 5 "$log" | grep -q '^    context deadline exceeded$'; then
    echo "fuzz: $name stopped with the coordinator's deadline race and no input (golang/go#75804); running it again once"
    if fuzz_once "$mod" "$pkg" "$name"; then
      continue
    fi
  fi
  failed+=("$mod/${pkg#./} $name")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed (failing inputs are in their package's testdata/fuzz):" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
