#!/usr/bin/env bash
# Writes deploy/compose/.env with a new admin API key and a new internal
# service secret, mode 0600, for compose.yaml's secrets. It never
# overwrites: a suite whose data was written under one service secret
# keeps it, and rotating the admin key is a deliberate edit.
set -euo pipefail
env_file="$(cd "$(dirname "$0")" && pwd)/.env"
if [ -e "$env_file" ]; then
	echo "$env_file exists; not touching it" >&2
	exit 0
fi
rand() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
umask 077
{
	echo "# Secrets of the compose suite (compose.yaml's secrets). Keep this file to yourself."
	echo "ALLIANCE_ADMIN_KEY=adm_$(rand 24)"
	echo "ALLIANCE_SERVICE_SECRET=$(rand 32)"
} >"$env_file"
echo "wrote $env_file (mode 0600); the admin key is its ALLIANCE_ADMIN_KEY line"
