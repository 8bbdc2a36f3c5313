package deploy_test

import (
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

const alertsFile = "prometheus/alerts.yaml"

// alertMetrics are the series the rules may use, by who exports them. A
// name outside this list is a typo, or a new source the README must name.
var alertMetrics = map[string]string{
	"up":                                       "Prometheus itself",
	"process_start_time_seconds":               "client_golang's process collector",
	"grpc_server_handled_total":                "go-grpc-middleware's Prometheus provider (server)",
	"grpc_server_handling_seconds_bucket":      "go-grpc-middleware's Prometheus provider (server histogram)",
	"grpc_client_handled_total":                "go-grpc-middleware's Prometheus provider (client)",
	"kubelet_volume_stats_available_bytes":     "the kubelet",
	"kubelet_volume_stats_capacity_bytes":      "the kubelet",
	"kube_cronjob_status_last_successful_time": "kube-state-metrics",
	"kube_job_status_failed":                   "kube-state-metrics",
	// The suite's own, which docs/OPERATIONS.md lists.
	"alliance_gateway_http_requests_total":     "the gateway",
	"alliance_sales_rejected_total":            "sales-reporting",
	"alliance_sales_ingested_total":            "sales-reporting",
	"alliance_sales_duplicates_total":          "sales-reporting",
	"alliance_report_data_through_lag_seconds": "sales-reporting",
	"alliance_boltdb_commit_seconds_bucket":    "the stores' group commit",
	"alliance_boltdb_commit_errors_total":      "the stores' group commit",
}

func parseAlerts(t *testing.T, content []byte) (*rulefmt.RuleGroups, []error) {
	t.Helper()
	return rulefmt.Parse(content, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
}

// TestAlertRules loads the rules with Prometheus's own rule parser (strict:
// an unknown field fails; every expression and template must parse), then
// ties their label matchers to the manifests: each job matcher matches
// both the compose job and the Kubernetes one, each claim matcher every
// store's claim, and the CronJob matcher the backup's.
func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := parseAlerts(t, raw)
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	prod := render(t, overlays["prod"].dir)
	var claims []string
	for _, s := range prod.statefulSets {
		for _, vct := range s.Spec.VolumeClaimTemplates {
			claims = append(claims, vct.Name+"-"+s.Name+"-0")
		}
	}
	for _, p := range prod.pvcs {
		claims = append(claims, p.Name)
	}
	n := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" {
				t.Errorf("group %s: a recording rule (%s); this file holds alerts", g.Name, r.Record)
				continue
			}
			if sev := r.Labels["severity"]; sev != "page" && sev != "ticket" {
				t.Errorf("%s: severity %q, want page or ticket", r.Alert, sev)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s has no %s", r.Alert, a)
				}
			}
			expr, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
				continue
			}
			for _, vs := range parser.ExtractSelectors(expr) {
				checkSelector(t, r.Alert, vs, claims)
			}
		}
	}
	if n < 5 {
		t.Errorf("%s has %d alerts; deploy/README.md explains more", alertsFile, n)
	}
}

func checkSelector(t *testing.T, alert string, ms []*labels.Matcher, claims []string) {
	t.Helper()
	var metric string
	for _, m := range ms {
		if m.Name == labels.MetricName {
			metric = m.Value
		}
	}
	if _, ok := alertMetrics[metric]; !ok {
		t.Errorf("%s uses %q, which no known exporter serves (see alertMetrics)", alert, metric)
	}
	for _, m := range ms {
		switch m.Name {
		case "job":
			// The processes a job matcher names must each match under both
			// compose's job name and a ServiceMonitor's.
			for _, proc := range composeProcesses {
				if !strings.Contains(m.Value, proc) {
					continue
				}
				for _, job := range []string{"alliance-" + proc, proc} {
					if !m.Matches(job) {
						t.Errorf("%s: job matcher %s misses %q", alert, m, job)
					}
				}
			}
		case "persistentvolumeclaim":
			for _, c := range claims {
				if !m.Matches(c) {
					t.Errorf("%s: claim matcher %s misses %q", alert, m, c)
				}
			}
		case "cronjob":
			if !m.Matches("alliance-backup") {
				t.Errorf("%s: cronjob matcher %s misses alliance-backup", alert, m)
			}
		}
	}
}

func TestAlertRulesParserIsStrict(t *testing.T) {
	refusesEach(t, alertsFile, []typo{
		{"        for: 2m\n", "        four: 2m\n"},
		{"up{job=~", "up{{job=~"},
		{"{{ $labels.job }} on", "{{ $labels.job } on"},
	}, func(broken []byte) bool {
		_, errs := parseAlerts(t, broken)
		return len(errs) == 0
	})
}
