package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/otlpfake"
)

// processes are the suite's four, by the service.name of their spans.
var processes = []string{"gateway", "sales-reporting", "session-scheduling", "member-registry"}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestOneRecordSaleThroughTheGateway, as the operator sees it, against the
// real binaries: the four processes export their spans over OTLP to a
// collector (in the test, on loopback), and one RecordSale through the
// gateway is one trace over all four, one tree under the caller's span,
// its request id on the spans and its trace id in the logs; and each
// process's /metrics shows the counters move: the sale ingested, the RPCs
// by code on both sides, the commit, the key cache; then a repeat is a
// duplicate and a refusal is counted by its reason.
func TestOneRecordSaleThroughTheGateway(t *testing.T) {
	col := otlpfake.Start(t)
	s := start(t, options{otlp: col.Endpoint})
	f := setUpSweep(t, s)
	// sales-reporting keeps a LIVE session's snapshot for 2 s (ingest's
	// LiveTTL): after that, the sale makes it ask session-scheduling again.
	time.Sleep(2500 * time.Millisecond)
	before := map[string]testkit.Metrics{}
	for _, p := range processes {
		before[p] = s.metrics(p)
	}

	traceID, parent := randomHex(16), randomHex(8)
	hdr := map[string]string{"Authorization": "Bearer " + f.keyB, "X-Request-Id": "telemetry-1",
		"traceparent": "00-" + traceID + "-" + parent + "-01"}
	sale := `{"session":"` + liveSession + `","product":"` + productA + `","kind":"SALE_KIND_ORDER","quantity":"1",` +
		`"amount":{"currencyCode":"CNY","minorUnits":"12800"},"platform":"PLATFORM_DOUYIN","externalId":"telemetry-o1","eventTime":"` +
		time.Now().UTC().Format(time.RFC3339Nano) + `"}`
	if r := send(t, "POST", s.gatewayURL()+"/v1/sales", sale, hdr); r.code != 200 {
		t.Fatalf("RecordSale through the gateway: %d %s", r.code, r.raw)
	}

	t.Run("one trace over the four processes, one tree under the caller's span", func(t *testing.T) {
		spans := col.WaitTrace(traceID, 20*time.Second, func(got []otlpfake.Span) bool {
			seen := map[string]bool{}
			for _, sp := range got {
				seen[sp.Service] = true
			}
			return len(seen) == len(processes)
		})
		ids, by := map[string]bool{parent: true}, map[string][]otlpfake.Span{}
		for _, sp := range spans {
			ids[sp.SpanID] = true
			by[sp.Service] = append(by[sp.Service], sp)
		}
		for _, p := range processes {
			if len(by[p]) == 0 {
				t.Errorf("no span of %s in the trace: %v", p, spans)
			}
		}
		for _, sp := range spans {
			if !ids[sp.ParentID] {
				t.Errorf("%v: its parent is not in the trace", sp)
			}
		}
		var root, record *otlpfake.Span
		for i, sp := range spans {
			switch {
			case sp.ParentID == parent:
				root = &spans[i]
			case sp.Service == "sales-reporting" && sp.Kind == "SPAN_KIND_SERVER" && sp.Name == "alliance.sales.v1.SalesReporting/RecordSale":
				record = &spans[i]
			}
		}
		if root == nil || root.Service != "gateway" || root.Kind != "SPAN_KIND_SERVER" || !strings.HasPrefix(root.Name, "POST /v1/") {
			t.Errorf("the caller's child is %v; want the gateway's HTTP span, named after its route", root)
		} else if root.Attrs["request_id"] != "telemetry-1" {
			t.Errorf("the gateway's span has request_id %q", root.Attrs["request_id"])
		}
		if record == nil || record.Attrs["request_id"] != "telemetry-1" {
			t.Errorf("sales-reporting's RecordSale span: %v (request_id %q)", record, record.Attrs["request_id"])
		}
	})
	t.Run("the log lines of the call carry its trace id", func(t *testing.T) {
		for _, p := range []string{"sales-reporting", "member-registry"} {
			found := false
			for _, l := range s.logLines(p) {
				var rec map[string]any
				if json.Unmarshal([]byte(l), &rec) == nil && rec["request_id"] == "telemetry-1" {
					found = found || rec["trace_id"] == traceID && len(rec["span_id"].(string)) == 16
				}
			}
			if !found {
				t.Errorf("no log line of %s with request_id telemetry-1 and trace_id %s", p, traceID)
			}
		}
	})

	// A repeat of the sale is a duplicate; a refund of more than the order
	// is refused, counted by its reason; a booking in the live session's
	// studio is refused as a double booking.
	if r := send(t, "POST", s.gatewayURL()+"/v1/sales", sale, hdr); r.code != 200 {
		t.Fatalf("the repeat: %d %s", r.code, r.raw)
	}
	refund := strings.NewReplacer(`"SALE_KIND_ORDER","quantity":"1"`, `"SALE_KIND_REFUND","quantity":"5","refundOf":"telemetry-o1"`,
		`"telemetry-o1"`, `"telemetry-r1"`).Replace(sale)
	if r := send(t, "POST", s.gatewayURL()+"/v1/sales", refund, hdr); r.code != 400 || !strings.Contains(r.raw, "REFUND_EXCEEDS_ORDER") {
		t.Fatalf("the refund of too much: %d %s", r.code, r.raw)
	}
	now := time.Now().UTC()
	clash := `{"title":"撞档","host":"` + memberB + `","studio":"` + baseX + `/studios/s1","platform":"PLATFORM_DOUYIN","startTime":"` +
		now.Add(20*time.Minute).Format(time.RFC3339) + `","endTime":"` + now.Add(40*time.Minute).Format(time.RFC3339) + `"}`
	if r := send(t, "POST", s.gatewayURL()+"/v1/sessions", clash, s.admin()); r.code != 400 {
		t.Fatalf("the double booking: %d %s", r.code, r.raw)
	}

	t.Run("every process's /metrics shows the counters move", func(t *testing.T) {
		after := map[string]testkit.Metrics{}
		for _, p := range processes {
			after[p] = s.metrics(p)
		}
		type l = map[string]string
		rpc := func(svc, method string, extra l) l {
			m := l{"grpc_service": svc, "grpc_method": method}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		const sales, sessions, members = "alliance.sales.v1.SalesReporting", "alliance.session.v1.SessionScheduler", "alliance.member.v1.MemberRegistry"
		for _, c := range []struct {
			proc, name string
			labels     l
			least      float64 // the least it must have grown by
			exact      bool
		}{
			{"sales-reporting", "alliance_sales_ingested_total", l{"kind": "order", "source": "record"}, 1, true},
			{"sales-reporting", "alliance_sales_duplicates_total", l{"kind": "order", "source": "record"}, 1, true},
			{"sales-reporting", "alliance_sales_rejected_total", l{"source": "record", "reason": "REFUND_EXCEEDS_ORDER"}, 1, true},
			{"sales-reporting", "grpc_server_handled_total", rpc(sales, "RecordSale", l{"grpc_code": "OK"}), 2, true},
			{"sales-reporting", "grpc_server_handled_total", rpc(sales, "RecordSale", l{"grpc_code": "FailedPrecondition"}), 1, true},
			{"sales-reporting", "grpc_server_handling_seconds", rpc(sales, "RecordSale", nil), 3, true},
			{"sales-reporting", "grpc_client_handled_total", l{"grpc_service": sessions, "grpc_code": "OK"}, 1, false},
			{"sales-reporting", "grpc_client_handled_total", rpc(members, "AuthenticateApiKey", l{"grpc_code": "OK"}), 1, true},
			{"sales-reporting", "alliance_auth_key_cache_lookups_total", l{"result": "miss"}, 1, true},
			{"sales-reporting", "alliance_auth_key_cache_lookups_total", l{"result": "hit"}, 2, true},
			{"sales-reporting", "alliance_boltdb_commit_writes", nil, 1, true},
			{"sales-reporting", "alliance_boltdb_commit_seconds", nil, 1, true},
			{"session-scheduling", "alliance_booking_refusals_total", l{"source": "create", "reason": "STUDIO_DOUBLE_BOOKED"}, 1, true},
			{"session-scheduling", "grpc_server_handled_total", l{"grpc_service": sessions, "grpc_code": "OK"}, 1, false},
			{"member-registry", "grpc_server_handled_total", rpc(members, "AuthenticateApiKey", l{"grpc_code": "OK"}), 1, true},
			{"gateway", "alliance_gateway_http_requests_total", l{"handler": "api", "method": "post", "code": "200"}, 2, true},
			{"gateway", "alliance_gateway_http_requests_total", l{"handler": "api", "method": "post", "code": "400"}, 2, true},
			{"gateway", "grpc_client_handled_total", rpc(sales, "RecordSale", l{"grpc_code": "OK"}), 2, true},
		} {
			d := after[c.proc].Value(c.name, c.labels) - before[c.proc].Value(c.name, c.labels)
			if d < c.least || c.exact && d != c.least {
				t.Errorf("%s %s%v grew by %v, want %v", c.proc, c.name, c.labels, d, c.least)
			}
		}
		if lag := after["sales-reporting"].Value("alliance_report_data_through_lag_seconds", nil); lag < 0 || lag > 60 {
			t.Errorf("data_through lag %v s just after a sale", lag)
		}
		if n := after["sales-reporting"].Value("alliance_report_cells", nil); n < 1 {
			t.Errorf("the engine holds %v cells", n)
		}
	})
	t.Run("docs/OPERATIONS.md lists every metric a process serves", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(repo, "docs", "OPERATIONS.md"))
		if err != nil {
			t.Fatal(err)
		}
		doc := string(raw)
		for _, p := range processes {
			for name := range s.metrics(p) {
				if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") || strings.HasPrefix(name, "promhttp_") {
					continue // the runtime's and the handler's own, listed as go_*, process_*
				}
				if !strings.Contains(doc, "`"+name+"`") {
					t.Errorf("%s serves %s, which docs/OPERATIONS.md does not list", p, name)
				}
			}
		}
	})
}
