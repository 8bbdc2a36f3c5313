#!/usr/bin/env bash
# Runs the walkthrough of a README: every ```sh block between the lines
# <!-- walkthrough:start --> and <!-- walkthrough:end -->, in order, in one
# bash, stopping at the first failing command, and checks the answers the
# text promises. A command followed by a line
#
#   # expect: HTTP 404 | "reason":"MEMBER_NOT_FOUND"
#
# must print every fragment between the " | " (white space does not
# count, so grpcurl's indented JSON matches too); it may fail, as an error
# a reader is shown does. curl -s exits 0 on a 4xx, so an expectation is
# what tells a wrong answer from a right one. Run it from the repository
# root while `make run` runs on the default ports with fresh data:
#   services/suite/check-readme.sh [README.md]
set -euo pipefail
readme=${1:-README.md}
blocks=$(awk '/<!-- walkthrough:start -->/{w=1} /<!-- walkthrough:end -->/{w=0}
              w && /^```sh$/{on=1; next} /^```$/{on=0} w && on' "$readme")
if [ -z "$blocks" ]; then
	echo "no walkthrough markers with sh blocks in $readme" >&2
	exit 1
fi

# Each command (its continuation lines and here-document included) that an
# expectation follows is read into __cmd and run by __expect.
script=$(printf '%s\n' "$blocks" | awk '
	function plain(  i) { for (i = 1; i <= n; i++) print buf[i]; n = 0 }
	function checked(e,  i) {
		print "{ set +x; } 2>/dev/null; read -r -d \"\" __cmd <<'\''__README_CMD__'\'' || true"
		for (i = 1; i <= n; i++) print buf[i]
		print "__README_CMD__"
		gsub(/'\''/, "'\''\\'\'''\''", e)
		print "__expect '\''" e "'\''"
		n = 0
	}
	heredoc != "" { buf[++n] = $0; if ($0 == heredoc) { heredoc = ""; done = 1 }; next }
	/^# expect: / {
		if (!(n && done)) { print "check-readme: an expectation follows no command: " $0 > "/dev/stderr"; exit 1 }
		checked(substr($0, 11)); next
	}
	{
		if (n && done) plain()
		if (!n || done) quotes = 0
		buf[++n] = $0; done = 0
		if (match($0, /<<-?'\''?[A-Za-z_]+'\''?/)) {
			heredoc = substr($0, RSTART, RLENGTH); sub(/^<<-?'\''?/, "", heredoc); sub(/'\''$/, "", heredoc)
			next
		}
		line = $0; quotes += gsub(/'\''/, "", line)
		# a command goes on after a backslash, and inside a quoted string
		if ($0 !~ /\\$/ && quotes % 2 == 0) done = 1
	}
	END { if (heredoc != "") { print "check-readme: unterminated here-document" > "/dev/stderr"; exit 1 }; plain() }
')

prelude='
__expect() {
	{ set +x; } 2>/dev/null
	printf "+ %s\n" "$__cmd" >&2
	local out
	out=$(eval "$__cmd" 2>&1) || true
	printf "%s\n" "$out"
	local have=${out//[[:space:]]/} rest="$1" frag
	while [ -n "$rest" ]; do
		frag=${rest%% | *}
		if [ "$frag" = "$rest" ]; then rest=; else rest=${rest#* | }; fi
		if [[ $have != *"${frag//[[:space:]]/}"* ]]; then
			printf "\ncheck-readme: the answer lacks %s; the README says it holds: %s\n" "$frag" "$1" >&2
			exit 1
		fi
	done
	set -x
}
set -x
'
bash -euo pipefail -c "$prelude$script"
