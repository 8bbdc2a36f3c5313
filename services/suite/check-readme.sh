#!/usr/bin/env bash
# Runs every ```sh block of a README, in order, in one bash, stopping at the
# first failing command. Run it from the repository root while `make run`
# runs on the default ports, on fresh data:  services/suite/check-readme.sh [README.md]
set -euo pipefail
readme=${1:-services/suite/README.md}
script=$(awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$readme")
bash -euo pipefail -x -c "$script"
