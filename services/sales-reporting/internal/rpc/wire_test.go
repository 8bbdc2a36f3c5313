package rpc

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/proto"
)

// randomPage is a page of n rows of nk dimensions, in order of period as
// the engine gives them, with figures from randomMetrics.
func randomPage(rng *rand.Rand, n, nk int) ([]report.Row, []salesv1.Dimension, []report.Dimension) {
	all := []report.Dimension{report.DimMerchant, report.DimCategory, report.DimDistrict, report.DimPlatform, report.DimHost}
	groupBy := make([]report.Dimension, nk)
	dims := make([]salesv1.Dimension, nk)
	for j := range groupBy {
		groupBy[j] = all[rng.IntN(len(all))]
		dims[j] = salesv1.Dimension(1 + rng.IntN(8))
	}
	rows := make([]report.Row, n)
	day := report.Day(18262 + rng.IntN(366))
	for i := range rows {
		if rng.IntN(4) == 0 {
			day += report.Day(1 + rng.IntN(31))
		}
		rows[i] = report.Row{PeriodStart: day, PeriodEnd: day + report.Day(1+rng.IntN(31)), Metrics: randomMetrics(rng)}
		for range nk {
			rows[i].Keys = append(rows[i].Keys, []string{"", "members/m1", "tea", "DOUYIN", "members/m2", "渝中区"}[rng.IntN(6)])
		}
	}
	return rows, dims, groupBy
}

// TestWireAnswerIsTheMarshalledAnswer: the answer whose rows are written
// straight to the wire is, byte for byte, what proto.Marshal makes of the
// same answer built of messages as the conversion did before (one message
// at a time), for 0, 1 and 2 dimensions, figures at 0, negative and at
// the edge of int64, rows with and without traffic, keys and names empty
// and not ASCII, with and without a next page; and it decodes to that
// answer.
func TestWireAnswerIsTheMarshalledAnswer(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 12))
	display := func(d report.Dimension, k string) string {
		if k == "" || d == report.DimPlatform {
			return "" // as for a key the registry does not know
		}
		return fmt.Sprint(int(d)) + " 名 " + k
	}
	for _, currency := range []string{"CNY", ""} {
		s := &Server{currency: currency}
		for trial := range 120 {
			rows, dims, groupBy := randomPage(rng, []int{0, 1, 2, 50, 300, 1000}[trial%6], trial%3)
			head := func() *salesv1.QuerySalesReportResponse {
				out := &salesv1.QuerySalesReportResponse{Totals: s.metrics(randomMetrics(rand.New(rand.NewPCG(uint64(trial), 1)))),
					DataThrough: protoconv.Timestamp(time.Date(2020, 12, 31, 23, 59, 59, trial, time.UTC))}
				if trial%2 == 0 {
					out.NextPageToken = fmt.Sprintf("token-%d", trial)
				}
				return out
			}
			want := head()
			want.Rows = referenceRows(currency, rows, dims, groupBy, display)
			got, err := s.wireAnswer(head(), rows, dims, groupBy, display)
			if err != nil {
				t.Fatal(err)
			}
			gotBytes, err := proto.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if string(gotBytes) != string(wantBytes) {
				t.Fatalf("currency %q, trial %d (%d rows, %d dimensions): %d bytes on the wire, want %d (the marshalled messages)",
					currency, trial, len(rows), len(dims), len(gotBytes), len(wantBytes))
			}
			var decoded salesv1.QuerySalesReportResponse
			if err := proto.Unmarshal(gotBytes, &decoded); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&decoded, want) {
				t.Fatalf("trial %d: decoded %v\nwant %v", trial, &decoded, want)
			}
		}
	}
}

// TestWireAnswerRefusesWhatMarshalRefuses: a key that is not UTF-8 fails
// the answer, as proto.Marshal fails on it, rather than send what no
// caller can decode.
func TestWireAnswerRefusesWhatMarshalRefuses(t *testing.T) {
	s := &Server{currency: "CNY"}
	for _, tc := range []struct {
		name, key, display string
	}{{"key", "members/\xff", "ok"}, {"display name", "members/m1", "\xc3("}} {
		t.Run(tc.name, func(t *testing.T) {
			rows := []report.Row{{PeriodStart: 18262, PeriodEnd: 18263, Keys: []string{tc.key}}}
			dims, groupBy := []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST}, []report.Dimension{report.DimHost}
			display := func(report.Dimension, string) string { return tc.display }
			if _, err := proto.Marshal(&salesv1.QuerySalesReportResponse{Rows: referenceRows("CNY", rows, dims, groupBy, display)}); err == nil {
				t.Fatal("proto.Marshal took it: the rule changed")
			}
			if _, err := s.wireAnswer(&salesv1.QuerySalesReportResponse{}, rows, dims, groupBy, display); err == nil {
				t.Fatal("the wire answer took it")
			}
		})
	}
}
