#!/usr/bin/env bash
# Runs the walkthrough of a README: every ```sh block between the lines
# <!-- walkthrough:start --> and <!-- walkthrough:end -->, in order, in one
# bash, stopping at the first failing command. Run it from the repository
# root while `make run` runs on the default ports with fresh data:
#   services/suite/check-readme.sh [README.md]
set -euo pipefail
readme=${1:-README.md}
script=$(awk '/<!-- walkthrough:start -->/{w=1} /<!-- walkthrough:end -->/{w=0}
              w && /^```sh$/{on=1; next} /^```$/{on=0} w && on' "$readme")
if [ -z "$script" ]; then
	echo "no walkthrough markers with sh blocks in $readme" >&2
	exit 1
fi
bash -euo pipefail -x -c "$script"
