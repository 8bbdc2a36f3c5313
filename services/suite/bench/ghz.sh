#!/usr/bin/env bash
# RecordSale over gRPC against the real processes, measured with ghz, as a
# ratio to the empty RPC grpc.health.v1.Health/Check on the same server with
# the same settings, in the same run.
#
# Starts member-registry, session-scheduling and sales-reporting on loopback
# with temporary data (on disk: every sale is fsynced), seeds a LIVE session
# through the real APIs, runs both measurements, checks that every sale is
# stored and counted, prints the ratio and stops everything.
#
#   services/suite/bench/ghz.sh            # 64 concurrent, 20,000 calls
#   N=50000 C=64 services/suite/bench/ghz.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
N=${N:-20000}
C=${C:-64}
PORT_BASE=${PORT_BASE:-25050}
REG=127.0.0.1:$((PORT_BASE + 1))
SCHED=127.0.0.1:$((PORT_BASE + 2))
SALES=127.0.0.1:$((PORT_BASE + 3))
GRPCURL=$ROOT/bin/grpcurl
GHZ=$ROOT/bin/ghz
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sales-ghz.XXXXXX")
PIDS=()

cleanup() {
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "building into $WORK ..."
(cd "$ROOT" && for s in member-registry session-scheduling sales-reporting; do
	go build -o "$WORK/$s" "./services/$s/cmd/$s"
done && go build -o "$WORK/alliance-bench" ./services/suite/cmd/alliance-bench)

wait_healthy() {
	for _ in $(seq 100); do
		# reflection needs the admin key
		if "$GRPCURL" -plaintext -H "authorization: Bearer $KEY" "$1" grpc.health.v1.Health/Check >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	echo "$1 did not become healthy" >&2
	exit 1
}

# Every service authenticates: one admin key and one service secret for all three.
KEYS=(-admin-key-file "$WORK/admin.key" -service-secret-file "$WORK/service.secret")
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/service.secret" && echo >>"$WORK/service.secret")
"$WORK/member-registry" -grpc-addr "$REG" -data-dir "$WORK/member" -log-level warn \
	-service-secret-file "$WORK/service.secret" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/member/admin.key" ] && break; sleep 0.1; done
cp "$WORK/member/admin.key" "$WORK/admin.key"
KEY=$(grep -v '^#' "$WORK/admin.key" | head -1)
wait_healthy "$REG"
"$WORK/session-scheduling" -grpc-addr "$SCHED" -data-dir "$WORK/session" -member-registry-addr "$REG" -log-level warn "${KEYS[@]}" &
PIDS+=($!)
"$WORK/sales-reporting" -grpc-addr "$SALES" -data-dir "$WORK/sales" -member-registry-addr "$REG" \
	-session-scheduling-addr "$SCHED" -log-level warn "${KEYS[@]}" &
PIDS+=($!)
wait_healthy "$SCHED"
wait_healthy "$SALES"

call() { "$GRPCURL" -plaintext -H "authorization: Bearer $KEY" -d "$2" "$1" "$3" >/dev/null; }
M=alliance.member.v1.MemberRegistry
S=alliance.session.v1.SessionScheduler
call "$REG" '{"member_id":"bench-host","member":{"kind":"MEMBER_KIND_HOST","display_name":"压测主播","district":"yuzhong"}}' $M/CreateMember
call "$REG" '{"member_id":"bench-base","member":{"kind":"MEMBER_KIND_BASE","display_name":"压测基地","district":"jiulongpo","studios":[{"studio_id":"a1","display_name":"A1"}]}}' $M/CreateMember
call "$REG" '{"member_id":"bench-farm","member":{"kind":"MEMBER_KIND_MERCHANT","display_name":"压测茶园","district":"banan"}}' $M/CreateMember
call "$REG" '{"parent":"members/bench-farm","product_id":"tea","product":{"display_name":"银针","category":"tea","origin_district":"banan","list_price":{"currency_code":"CNY","minor_units":1000}}}' $M/CreateProduct
START=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)
END=$(date -u -d '+3 hours' +%Y-%m-%dT%H:%M:%SZ)
call "$SCHED" "{\"session_id\":\"bench\",\"session\":{\"title\":\"bench\",\"host\":\"members/bench-host\",\"studio\":\"members/bench-base/studios/a1\",\"merchants\":[\"members/bench-farm\"],\"products\":[\"members/bench-farm/products/tea\"],\"platform\":\"PLATFORM_DOUYIN\",\"start_time\":\"$START\",\"end_time\":\"$END\"}}" $S/CreateSession
call "$SCHED" '{"name":"sessions/bench"}' $S/StartSession
sleep 1
AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
DATA="{\"sale\":{\"session\":\"sessions/bench\",\"product\":\"members/bench-farm/products/tea\",\"kind\":\"SALE_KIND_ORDER\",\"quantity\":1,\"amount\":{\"currency_code\":\"CNY\",\"minor_units\":1000},\"platform\":\"PLATFORM_DOUYIN\",\"external_id\":\"ghz-{{.RequestNumber}}\",\"event_time\":\"$AT\"}}"

rate() { sed -n 's/^[[:space:]]*Requests\/sec:[[:space:]]*\([0-9.]*\).*/\1/p'; }

# Both measurements send the admin key, so both pay for authentication.
AUTH=(--metadata "{\"authorization\":\"Bearer $KEY\"}" --reflect-metadata "{\"authorization\":\"Bearer $KEY\"}")
echo "warm-up ..."
"$GHZ" --insecure "${AUTH[@]}" -c "$C" -n 2000 --call grpc.health.v1.Health/Check -d '{}' "$SALES" >/dev/null
echo "baseline: grpc.health.v1.Health/Check, -c $C -n $N"
BASE_OUT=$("$GHZ" --insecure "${AUTH[@]}" -c "$C" -n "$N" --call grpc.health.v1.Health/Check -d '{}' "$SALES")
echo "$BASE_OUT" | grep -E 'Count|Requests/sec|Average|99 %|\[OK\]|\[' | sed 's/^/  /'
echo "RecordSale (every call a new sale, durable before it returns; --data template ghz-{{.RequestNumber}}), -c $C -n $N"
SALE_OUT=$("$GHZ" --insecure "${AUTH[@]}" -c "$C" -n "$N" --call alliance.sales.v1.SalesReporting.RecordSale -d "$DATA" "$SALES")
echo "$SALE_OUT" | grep -E 'Count|Requests/sec|Average|99 %|\[OK\]|\[' | sed 's/^/  /'
# The same, with the N requests serialized beforehand: ghz sends them
# round-robin without rendering a template and parsing JSON for each call.
"$WORK/alliance-bench" ghzdata -n "$N" -prefix bin -event-time "$AT" >"$WORK/sales.bin"
echo "RecordSale, requests pre-serialized (--binary-file), -c $C -n $N"
BIN_OUT=$("$GHZ" --insecure "${AUTH[@]}" -c "$C" -n "$N" --call alliance.sales.v1.SalesReporting.RecordSale --binary-file "$WORK/sales.bin" "$SALES")
echo "$BIN_OUT" | grep -E 'Count|Requests/sec|Average|99 %|\[OK\]|\[' | sed 's/^/  /'

BASE=$(echo "$BASE_OUT" | rate)
SALE=$(echo "$SALE_OUT" | rate)
BIN=$(echo "$BIN_OUT" | rate)
ORDERS=$("$GRPCURL" -plaintext -H "authorization: Bearer $KEY" -d "{\"start_date\":\"$(date -u -d '-2 days' +%F)\",\"end_date\":\"$(date -u -d '+2 days' +%F)\"}" \
	"$SALES" alliance.sales.v1.SalesReporting/QuerySalesReport | sed -n 's/.*"orders": "\([0-9]*\)".*/\1/p' | head -1)
echo "stored and counted: ${ORDERS:-0} orders (want $((2 * N)))"
awk -v s="$SALE" -v b="$BASE" 'BEGIN { printf "RecordSale (template) %.0f/s vs Health/Check %.0f/s: ratio %.2f (target >= 0.50)\n", s, b, s / b }'
awk -v s="$BIN" -v b="$BASE" 'BEGIN { printf "RecordSale (binary)   %.0f/s vs Health/Check %.0f/s: ratio %.2f (target >= 0.50)\n", s, b, s / b }'
[ "${ORDERS:-0}" = "$((2 * N))" ] || { echo "not every sale was stored" >&2; exit 1; }
