package deploy_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/promqltest"
)

// TestAlertsOnTheSuitesMetricsFire evaluates the rules on the suite's own
// metrics with Prometheus's engine, over half an hour of made-up series
// named as the services export them (docs/OPERATIONS.md): each one fires
// where it should, and stays quiet on the normal case next to it.
func TestAlertsOnTheSuitesMetricsFire(t *testing.T) {
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := parseAlerts(t, raw)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	exprs := map[string]string{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			exprs[r.Alert] = r.Expr
		}
	}
	const sales, gw, store = `job="alliance-sales-reporting"`, `job="gateway"`, `job="session-scheduling"`
	cases := []struct {
		alert, name, series string
		fires               bool
	}{
		{"AllianceSalesRejectionSpike", "a third of the lines refused for one reason", `
			alliance_sales_rejected_total{` + sales + `,source="import",reason="SESSION_NOT_LIVE"} 0+30x40
			alliance_sales_ingested_total{` + sales + `,kind="order",source="import"} 0+60x40
			alliance_sales_duplicates_total{` + sales + `,kind="order",source="import"} 0x40`, true},
		{"AllianceSalesRejectionSpike", "a refusal now and then", `
			alliance_sales_rejected_total{` + sales + `,source="record",reason="REFUND_EXCEEDS_ORDER"} 0+1x40
			alliance_sales_ingested_total{` + sales + `,kind="order",source="record"} 0+100x40
			alliance_sales_duplicates_total{` + sales + `,kind="order",source="record"} 0+2x40`, false},
		{"AllianceSalesRejectionSpike", "one line in a quiet hour, refused", `
			alliance_sales_rejected_total{` + sales + `,source="record",reason="SESSION_NOT_LIVE"} 0x20 1x20
			alliance_sales_ingested_total{` + sales + `,kind="order",source="record"} 0x40
			alliance_sales_duplicates_total{` + sales + `,kind="order",source="record"} 0x40`, false},
		{"AllianceReportsBehind", "sales keep coming and data_through stands still", `
			alliance_report_data_through_lag_seconds{` + sales + `} 0+60x40
			grpc_server_handled_total{` + sales + `,grpc_method="ImportSales",grpc_code="OK"} 0+5x40`, true},
		{"AllianceReportsBehind", "at night: no sales, an old data_through", `
			alliance_report_data_through_lag_seconds{` + sales + `} 3600+60x40
			grpc_server_handled_total{` + sales + `,grpc_method="ImportSales",grpc_code="OK"} 10x40`, false},
		{"AllianceReportsBehind", "sales coming, reports current", `
			alliance_report_data_through_lag_seconds{` + sales + `} 5x40
			grpc_server_handled_total{` + sales + `,grpc_method="RecordSale",grpc_code="OK"} 0+50x40`, false},
		{"AllianceCommitSlow", "every commit takes half a second", `
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="0.25"} 0x40
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="0.5"} 0+10x40
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="+Inf"} 0+10x40`, true},
		{"AllianceCommitSlow", "commits of a few milliseconds", `
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="0.005"} 0+100x40
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="0.25"} 0+100x40
			alliance_boltdb_commit_seconds_bucket{` + store + `,le="+Inf"} 0+100x40`, false},
		{"AllianceCommitErrors", "a commit failed", `
			alliance_boltdb_commit_errors_total{` + store + `} 0x35 1x5`, true},
		{"AllianceCommitErrors", "none failed", `
			alliance_boltdb_commit_errors_total{` + store + `} 0x40`, false},
		{"AllianceGatewayServerErrors", "one request in ten is a 503", `
			alliance_gateway_http_requests_total{` + gw + `,handler="api",code="200",method="get"} 0+90x40
			alliance_gateway_http_requests_total{` + gw + `,handler="api",code="503",method="get"} 0+10x40`, true},
		{"AllianceGatewayServerErrors", "only refusals the callers earned", `
			alliance_gateway_http_requests_total{` + gw + `,handler="api",code="200",method="get"} 0+90x40
			alliance_gateway_http_requests_total{` + gw + `,handler="api",code="403",method="get"} 0+30x40`, false},
	}
	engine := promqltest.NewTestEngine(t, false, 0, 100000)
	tested := map[string]map[bool]bool{}
	for _, c := range cases {
		t.Run(c.alert+": "+c.name, func(t *testing.T) {
			expr, ok := exprs[c.alert]
			if !ok {
				t.Fatalf("no alert %s in %s", c.alert, alertsFile)
			}
			st := promqltest.LoadedStorage(t, "load 1m"+strings.ReplaceAll(c.series, "\t", " "))
			q, err := engine.NewInstantQuery(context.Background(), st, nil, expr, time.Unix(0, 0).Add(38*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			res := q.Exec(context.Background())
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			v, err := res.Vector()
			if err != nil {
				t.Fatal(err)
			}
			if fires := len(v) > 0; fires != c.fires {
				t.Errorf("fires %v, want %v: %v", fires, c.fires, promql.Vector(v))
			}
		})
		if tested[c.alert] == nil {
			tested[c.alert] = map[bool]bool{}
		}
		tested[c.alert][c.fires] = true
	}
	for alert, both := range tested {
		if !both[true] || !both[false] {
			t.Errorf("%s is tested only where it fires %v; test both sides", alert, both)
		}
	}
}
