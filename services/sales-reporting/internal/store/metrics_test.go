package store

import (
	"reflect"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/protobuf/proto"
)

// A session's snapshots are found by as_of among those of sessions whose
// names share a prefix ("sessions/a", "sessions/ab"), at the ends of the
// bucket too, and come back exactly as stored.
func TestMetricsAroundAndLatest(t *testing.T) {
	st := open(t)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	snap := func(ses string, m int) *ingest.SessionMetrics {
		return &ingest.SessionMetrics{Session: ses, Platform: "DOUYIN", AsOf: at(m), Views: int64(m), Viewers: int64(m),
			AverageViewDuration: 95 * time.Second, Products: []ingest.ProductTraffic{{Product: "members/m/products/p", Impressions: 3, Clicks: 1}},
			CreateTime: base}
	}
	var stored []*ingest.SessionMetrics
	if err := st.UpdateMetrics(func(tx ingest.MetricsTx) error {
		for _, s := range []*ingest.SessionMetrics{snap("sessions/a", 10), snap("sessions/a", 20), snap("sessions/ab", 15), snap("sessions/b", 5)} {
			stored = append(stored, s)
			if err := tx.PutMetrics(s); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	views := func(m *ingest.SessionMetrics) int64 {
		if m == nil {
			return -1
		}
		return m.Views
	}
	for _, tc := range []struct {
		ses              string
		at               int
		prev, same, next int64
	}{
		{"sessions/a", 5, -1, -1, 10},
		{"sessions/a", 10, -1, 10, 20},
		{"sessions/a", 15, 10, -1, 20},
		{"sessions/a", 20, 10, 20, -1},
		{"sessions/a", 25, 20, -1, -1},
		{"sessions/ab", 1, -1, -1, 15},
		{"sessions/ab", 30, 15, -1, -1},
		{"sessions/b", 99, 5, -1, -1},
		{"sessions/c", 1, -1, -1, -1},
		{"sessions/", 1, -1, -1, -1},
	} {
		if err := st.UpdateMetrics(func(tx ingest.MetricsTx) error {
			p, s, n, err := tx.MetricsAround(tc.ses, at(tc.at))
			if err != nil {
				return err
			}
			if views(p) != tc.prev || views(s) != tc.same || views(n) != tc.next {
				t.Errorf("around %s +%d: %d %d %d, want %d %d %d", tc.ses, tc.at, views(p), views(s), views(n), tc.prev, tc.same, tc.next)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ViewMetrics(func(tx ingest.MetricsReadTx) error {
		for ses, want := range map[string]*ingest.SessionMetrics{"sessions/a": stored[1], "sessions/ab": stored[2], "sessions/b": stored[3], "sessions/c": nil} {
			got, err := tx.LatestMetrics(ses)
			if err != nil {
				return err
			}
			if want == nil && got != nil || want != nil && !reflect.DeepEqual(got, want) {
				t.Errorf("latest of %s = %+v, want %+v", ses, got, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var latest []string
	if err := st.ForEachLatestMetrics(func(m *ingest.SessionMetrics) error {
		latest = append(latest, m.Session+"@"+m.AsOf.Format("15:04"))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"sessions/a@12:20", "sessions/ab@12:15", "sessions/b@12:05"}; !reflect.DeepEqual(latest, want) {
		t.Fatalf("ForEachLatestMetrics = %v, want %v", latest, want)
	}
}

// A snapshot with every field set comes back from its record and key as
// it went in.
func TestMetricsRecordRoundTrip(t *testing.T) {
	m := &ingest.SessionMetrics{Session: "sessions/s", Platform: "KUAISHOU", AsOf: time.Date(2020, 2, 29, 23, 59, 59, 999999999, time.UTC),
		Views: 1, Viewers: 2, PeakConcurrentViewers: 3, AverageViewDuration: 4 * time.Millisecond, Likes: 5, Comments: 6, Shares: 7,
		NewFollowers: 8, ProductImpressions: 9, ProductClicks: 10,
		Products:   []ingest.ProductTraffic{{Product: "members/m/products/a", Impressions: 11, Clicks: 12}, {Product: "members/m/products/b", Impressions: 13, Clicks: 14}},
		CreateTime: base, SessionStart: base.Add(-time.Hour),
		Attr: ingest.SessionAttr{Host: "members/h", Agency: "members/a", Base: "members/b", Studio: "members/b/studios/1", District: "yubei", Official: true}}
	got, err := throughRecord(m)
	if err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip: %+v, %v\nwant %+v", got, err, m)
	}
	v, err := proto.Marshal(metricsRecord(m))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metricsOf([]byte("short"), v); err == nil {
		t.Fatal("a key without as_of was read")
	}
}

// throughRecord is m written as its record and read back under its key.
func throughRecord(m *ingest.SessionMetrics) (*ingest.SessionMetrics, error) {
	v, err := proto.Marshal(metricsRecord(m))
	if err != nil {
		return nil, err
	}
	return metricsOf(metricsKey(m.Session, m.AsOf), v)
}

// FuzzMetricsRecord: damaged bytes in bucket session_metrics are an error,
// never a panic, and a value that decodes is written back as a record that
// decodes to the same snapshot.
func FuzzMetricsRecord(f *testing.F) {
	m := &ingest.SessionMetrics{Session: "sessions/s", Platform: "DOUYIN", AsOf: base, Views: 10, Viewers: 5,
		Products: []ingest.ProductTraffic{{Product: "members/m/products/p", Impressions: 3, Clicks: 1}}, CreateTime: base, SessionStart: base}
	v, _ := proto.Marshal(metricsRecord(m))
	f.Add(metricsKey(m.Session, m.AsOf), v)
	f.Add([]byte("sessions/s\x00"), []byte{0xff})
	f.Fuzz(func(t *testing.T, k, v []byte) {
		got, err := metricsOf(k, v)
		if err != nil {
			return
		}
		back, err := throughRecord(got)
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("%+v came back as %+v (%v)", got, back, err)
		}
	})
}
